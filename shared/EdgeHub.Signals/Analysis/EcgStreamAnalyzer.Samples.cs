namespace EdgeHub.Signals;

public sealed partial class EcgStreamAnalyzer
{
    private const double FlatSeconds = 0.25;       // a line this long with no movement counts as leads off
    private const float FlatStepMv = 0.002f;
    private const float SaturationMv = 5f;         // a plateau at ≥ 5 mV is a clipped amplifier, not ECG
    // Noise: in clean ECG only the QRS (≈ 10–15 % of samples) moves more than 0.1 mV from one sample to the next, whatever its
    // amplitude; when over 30 % of a second's samples do, broadband noise of ≳ 0.07 mV RMS (muscle, mains, electrode) dominates.
    // A count, unlike an RMS, is not inflated by tall QRS complexes (MIT-BIH 116).
    private const float RoughStepMv = 0.1f;
    private const double NoisyRoughFraction = 0.3;
    private const double NoisyWanderMv = 2.0;      // baseline excursion within one second above this: motion

    /// <summary>Signal-quality tallies for one second of signal (block = sample index / sample rate).</summary>
    private struct QualityBlock
    {
        // 32 bytes a block: counts are of one second's samples (≤ 1000 at 1000 Hz; lead-off at most twice that), so 16 bits.
        public long Block;
        public double DiffSquares;
        public float BaselineMin;
        public float BaselineMax;
        public ushort Count;
        public ushort Saturated;
        public ushort LeadOff;
        public ushort Rough;

        public readonly bool Noisy => Count > 1 && (Rough > NoisyRoughFraction * Count || BaselineMax - BaselineMin > NoisyWanderMv);
    }

    private void AppendSample(short raw, float mv, bool leadOffFlag)
    {
        var index = _samples;
        _strip.Add((short)Math.Clamp(MathF.Round(mv * 1000f / (float)StripMicrovoltsPerUnit), short.MinValue, short.MaxValue));

        if (_detector.Process(mv, out var beat))
        {
            OnBeat(beat);
        }

        // Quality block bookkeeping: one block per second of signal, advanced by counting (no division per sample).
        ref var block = ref _blocks[_blockSlot];
        if (_blockSample == 0)
        {
            block = default;
            block.Block = _blockId;
            block.BaselineMin = float.MaxValue;
            block.BaselineMax = float.MinValue;
        }

        _baseline = double.IsNaN(_baseline) ? mv : _baseline + _baselineAlpha * (mv - _baseline);
        var b = (float)_baseline;
        block.BaselineMin = Math.Min(block.BaselineMin, b);
        block.BaselineMax = Math.Max(block.BaselineMax, b);
        if (index > 0)
        {
            var d = mv - _prevMv;
            block.DiffSquares += (double)d * d;
            block.Rough += (ushort)(Math.Abs(d) > RoughStepMv ? 1 : 0);
        }

        var clipped = raw == short.MaxValue || raw == short.MinValue || (index > 0 && raw == _prevRaw && Math.Abs(mv) >= SaturationMv);
        if (clipped)
        {
            block.Saturated++;
        }

        // Leads off: reported by the device, or a flat line (counted from its start once it has lasted FlatSeconds).
        _flatRun = index > 0 && Math.Abs(mv - _prevMv) <= FlatStepMv ? _flatRun + 1 : 0;
        if (leadOffFlag)
        {
            block.LeadOff++;
        }
        else if (_flatRun == _flatMin)
        {
            CountFlatBacklog(index, _flatMin);
        }
        else if (_flatRun > _flatMin)
        {
            block.LeadOff++;
        }

        block.Count++;
        _prevRaw = raw;
        _prevMv = mv;
        _samples = index + 1;
        if (++_blockSample == _sampleRate)
        {
            _blockSample = 0;
            _blockId++;
            _blockSlot = _blockSlot + 1 == _blocks.Length ? 0 : _blockSlot + 1;
        }
    }

    /// <summary>Marks the first <paramref name="run"/> samples of a flat line, which only now proved to be one, as leads off.</summary>
    private void CountFlatBacklog(long index, int run)
    {
        for (var i = Math.Max(0, index - run + 1); i <= index; i++)
        {
            ref var block = ref _blocks[(int)(i / _sampleRate % _blocks.Length)];
            if (block.Block == i / _sampleRate && block.Count > 0)
            {
                block.LeadOff++;
            }
        }
    }
}
