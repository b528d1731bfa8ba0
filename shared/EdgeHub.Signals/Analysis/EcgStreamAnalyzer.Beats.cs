using EdgeHub.Contracts;

namespace EdgeHub.Signals;

public sealed partial class EcgStreamAnalyzer
{
    private void OnBeat(in Beat beat)
    {
        var rrMs = _lastBeat >= 0 ? (beat.SampleIndex - _lastBeat) * 1000.0 / _sampleRate : double.NaN;
        var fastWide = rrMs < FastRrMs && beat.WidthMs > WideQrsMs;
        _fastWideRun = fastWide ? _fastWideRun + 1 : 0;
        EnsureBeatRoom();
        ref var slot = ref _beats[_beatHead];
        _premature = WithFlag(_premature, _beatHead, beat.Premature);
        _fastWide = WithFlag(_fastWide, _beatHead, fastWide);
        slot.IndexLow = (uint)beat.SampleIndex;
        slot.AmplitudeMv = beat.AmplitudeMv;
        slot.WidthMs = beat.WidthMs;
        _beatHead = (_beatHead + 1) & (_beats.Length - 1);
        _beatCount = Math.Min(_beatCount + 1, _beats.Length);
        _lastBeat = beat.SampleIndex;
    }

    /// <summary>
    /// Doubles the beat ring (up to <see cref="MaxBeats"/>) when it is full and its oldest beat may still be read. Readers:
    /// <see cref="WriteFeatures"/> uses the beats of the last <see cref="FeatureSchema.WindowSeconds"/> (its window starts
    /// no earlier than <c>_samples + 1 - window</c> once the current sample is counted), <see cref="HeartRateBpm"/> the last
    /// 6 beats, which any full ring of 16 holds. So the ring always holds every beat a 64-beat ring would give a reader,
    /// and the outputs are those of a fixed 64-beat ring.
    /// </summary>
    private void EnsureBeatRoom()
    {
        if (_beatCount < _beats.Length || _beats.Length == MaxBeats)
        {
            return;
        }

        var firstReadable = _samples + 1 - (long)FeatureSchema.WindowSeconds * _sampleRate;
        if (IndexOf(_beats[_beatHead]) < firstReadable)
        {
            return; // the oldest beat (the slot the new one takes) is outside every window still to come
        }

        // Lay the beats out oldest first in the larger ring and move their flag bits with them.
        var grown = new BeatRecord[_beats.Length * 2];
        ulong premature = 0, fastWide = 0;
        for (var i = 0; i < _beatCount; i++)
        {
            var slot = SlotOf(i);
            grown[i] = _beats[slot];
            premature = WithFlag(premature, i, Flag(_premature, slot));
            fastWide = WithFlag(fastWide, i, Flag(_fastWide, slot));
        }

        _beats = grown;
        _premature = premature;
        _fastWide = fastWide;
        _beatHead = _beatCount;
    }
}
