using EdgeHub.Contracts;

namespace EdgeHub.Signals;

/// <summary>One stretch of a rhythm in a record, in samples: <c>[Start, End)</c>.</summary>
public readonly record struct RhythmEpisode(long Start, long End)
{
    /// <summary>Samples the episode covers.</summary>
    public long Length => End - Start;
}

/// <summary>
/// The reference rhythm of one annotated record, built from its <c>.atr</c>: rhythm episodes from the aux strings of rhythm
/// annotations ('+' with <c>(AFIB</c>, <c>(VT</c>, …; a rhythm lasts until the next rhythm change) where the file keeps them,
/// and ventricular runs derived from the beat labels for every record (EC57: a run is three or more consecutive ventricular
/// ectopic beats; only 'V' counts, fusion and escape beats end a run). AF cannot be derived from beat labels: a record without
/// aux strings has no AF reference (<see cref="HasRhythmLabels"/> is false) and no AF label is ever guessed for it.
/// </summary>
public sealed class RhythmReference
{
    /// <summary>Consecutive ventricular beats that make a run (EC57; the edge's safety net uses the same count).</summary>
    public const int RunBeats = 3;

    /// <summary>Rate below which a window's reference rhythm is bradycardia (bpm, the usual clinical bound).</summary>
    public const double BradycardiaBpm = 60;

    /// <summary>Rate above which a window's reference rhythm is tachycardia (bpm).</summary>
    public const double TachycardiaBpm = 100;

    private readonly long[] _beats;
    private readonly bool[] _ventricular;

    private RhythmReference(string record, double sampleRate, long length, long[] beats, bool[] ventricular, bool hasRhythm,
        List<RhythmEpisode> af, List<RhythmEpisode> vtAux, List<RhythmEpisode> runs)
    {
        Record = record;
        SampleRate = sampleRate;
        Length = length;
        _beats = beats;
        _ventricular = ventricular;
        HasRhythmLabels = hasRhythm;
        AtrialFibrillation = af;
        VentricularTachycardiaAux = vtAux;
        VentricularRuns = runs;
    }

    /// <summary>Record name.</summary>
    public string Record { get; }

    /// <summary>Samples per second.</summary>
    public double SampleRate { get; }

    /// <summary>Samples in the record (episodes open at the end close here).</summary>
    public long Length { get; }

    /// <summary>True when the annotation file keeps rhythm aux strings (PhysioNet originals; wfdb-python rewrites drop them).</summary>
    public bool HasRhythmLabels { get; }

    /// <summary>(AFIB and (AFL episodes from the aux strings (empty without <see cref="HasRhythmLabels"/>).</summary>
    public IReadOnlyList<RhythmEpisode> AtrialFibrillation { get; }

    /// <summary>(VT episodes from the aux strings (empty without <see cref="HasRhythmLabels"/>).</summary>
    public IReadOnlyList<RhythmEpisode> VentricularTachycardiaAux { get; }

    /// <summary>
    /// Runs of ≥ <see cref="RunBeats"/> consecutive 'V' beats, from the first V beat's R peak to the R peak of the beat after
    /// the run (the record's end when none follows): derived from beat labels, so present for every record.
    /// </summary>
    public IReadOnlyList<RhythmEpisode> VentricularRuns { get; }

    /// <summary>Builds the reference of a record from its annotations.</summary>
    public static RhythmReference FromAnnotations(string record, IReadOnlyList<WfdbAnnotation> annotations, double sampleRate, long length)
    {
        ArgumentNullException.ThrowIfNull(annotations);
        var beats = new List<long>();
        var ventricular = new List<bool>();
        var af = new List<RhythmEpisode>();
        var vt = new List<RhythmEpisode>();
        var hasRhythm = false;
        string? rhythm = null;
        long rhythmStart = 0;
        foreach (var a in annotations)
        {
            if (a.IsBeat)
            {
                beats.Add(a.Sample);
                ventricular.Add(a.Code == AnnotationCodes.Pvc);
            }
            else if (a.Code == AnnotationCodes.Rhythm && a.Aux is { } aux && aux.StartsWith('('))
            {
                hasRhythm = true;
                Close(rhythm, rhythmStart, a.Sample, af, vt);
                rhythm = aux.Trim();
                rhythmStart = a.Sample;
            }
        }

        Close(rhythm, rhythmStart, length, af, vt);
        var runs = new List<RhythmEpisode>();
        for (var i = 0; i < beats.Count;)
        {
            if (!ventricular[i])
            {
                i++;
                continue;
            }

            var j = i;
            while (j < beats.Count && ventricular[j])
            {
                j++;
            }

            if (j - i >= RunBeats)
            {
                runs.Add(new RhythmEpisode(beats[i], j < beats.Count ? beats[j] : length));
            }

            i = j;
        }

        return new RhythmReference(record, sampleRate, length, [.. beats], [.. ventricular], hasRhythm, af, vt, runs);
    }

    /// <summary>Reads <c>RECORD.atr</c> and builds the reference (<paramref name="recordPath"/> without extension).</summary>
    public static RhythmReference Read(string recordPath, double sampleRate, long length)
    {
        var annotations = Wfdb.ReadAnnotations(recordPath + ".atr", (int)Math.Round(sampleRate));
        return FromAnnotations(Path.GetFileName(recordPath), annotations, sampleRate, length);
    }

    /// <summary>
    /// The reference class of the window <c>[start, end)</c>, or null when the reference cannot say (fewer than two beats).
    /// In order: VT when a ventricular run of ≥ 3 beats lies in the window or (VT covers half of it; AF when (AFIB/(AFL
    /// cover half of it; ventricular ectopy when it holds a V beat; brady/tachycardia when the mean reference RR is below
    /// 60 or above 100 bpm; normal otherwise. A record without aux strings never yields AF (see <see cref="HasRhythmLabels"/>).
    /// </summary>
    public RhythmClass? WindowClass(long start, long end)
    {
        var first = LowerBound(start);
        var last = LowerBound(end); // exclusive
        if (last - first < 2)
        {
            return null;
        }

        var half = (end - start) / 2;
        int run = 0, longest = 0, ventricular = 0;
        for (var i = first; i < last; i++)
        {
            run = _ventricular[i] ? run + 1 : 0;
            longest = Math.Max(longest, run);
            ventricular += _ventricular[i] ? 1 : 0;
        }

        if (longest >= RunBeats || Covered(VentricularTachycardiaAux, start, end) >= half)
        {
            return RhythmClass.VentricularTachycardia;
        }

        if (Covered(AtrialFibrillation, start, end) >= half)
        {
            return RhythmClass.AtrialFibrillation;
        }

        if (ventricular > 0)
        {
            return RhythmClass.VentricularEctopy;
        }

        var bpm = 60.0 * SampleRate * (last - first - 1) / (_beats[last - 1] - _beats[first]);
        return bpm < BradycardiaBpm ? RhythmClass.Bradycardia : bpm > TachycardiaBpm ? RhythmClass.Tachycardia : RhythmClass.Normal;
    }

    /// <summary>Samples of <c>[start, end)</c> covered by <paramref name="episodes"/> (sorted, not overlapping).</summary>
    public static long Covered(IReadOnlyList<RhythmEpisode> episodes, long start, long end)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        long covered = 0;
        foreach (var e in episodes)
        {
            covered += Math.Max(0, Math.Min(e.End, end) - Math.Max(e.Start, start));
        }

        return covered;
    }

    private int LowerBound(long sample)
    {
        var i = Array.BinarySearch(_beats, sample);
        if (i < 0)
        {
            return ~i;
        }

        while (i > 0 && _beats[i - 1] == sample)
        {
            i--;
        }

        return i;
    }

    private static void Close(string? rhythm, long start, long end, List<RhythmEpisode> af, List<RhythmEpisode> vt)
    {
        if (rhythm is null || end <= start)
        {
            return;
        }

        if (rhythm is "(AFIB" or "(AFL")
        {
            Append(af, start, end);
        }
        else if (rhythm == "(VT")
        {
            Append(vt, start, end);
        }
    }

    // (AFIB followed directly by (AFL is one atrial episode: the model's af class covers both irregular atrial rhythms.
    private static void Append(List<RhythmEpisode> list, long start, long end)
    {
        if (list.Count > 0 && list[^1].End == start)
        {
            list[^1] = list[^1] with { End = end };
        }
        else
        {
            list.Add(new RhythmEpisode(start, end));
        }
    }
}
