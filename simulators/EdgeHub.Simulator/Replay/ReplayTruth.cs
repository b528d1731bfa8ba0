using EdgeHub.Signals;

namespace EdgeHub.Simulator;

/// <summary>
/// Ground-truth episodes of a replayed record, from its reference annotations:
/// <list type="bullet">
/// <item>rhythm labels (aux strings of rhythm-change annotations, in PhysioNet originals): (AFIB → af, (VT and (VFL → vt,
/// (SBR and (BII → brady, (SVTA → tachy, (B and (T (ventricular bigeminy/trigeminy) → pvc; ventricular flutter '[' … ']' → vt;</item>
/// <item>from the beats, for every copy (wfdb-python rewrites carry no aux strings): a run of ≥ 3 ventricular beats faster
/// than 100 bpm → vt; any other ventricular beat → pvc for ±1 s around it; sinus stretches with a 10-beat mean rate below
/// 50 / above 100 bpm → brady / tachy.</item>
/// </list>
/// </summary>
internal static class ReplayTruth
{
    public static EpisodeOccurrence[] Derive(IReadOnlyList<WfdbAnnotation> annotations, double recordRate, List<double> beats,
        List<char> symbols, int sampleRate, double duration)
    {
        var episodes = new List<EpisodeOccurrence>();
        EpisodeKind? rhythm = null;
        double rhythmStart = 0;
        foreach (var a in annotations)
        {
            var t = a.Sample / recordRate;
            EpisodeKind? next = rhythm;
            var changes = false;
            if (a.Code == AnnotationCodes.Rhythm && a.Aux is { } aux)
            {
                next = MapRhythm(aux.TrimEnd('\0').Trim());
                changes = true;
            }
            else if (a.Code == AnnotationCodes.VfOn)
            {
                (next, changes) = (EpisodeKind.VentricularTachycardia, true);
            }
            else if (a.Code == AnnotationCodes.VfOff)
            {
                (next, changes) = (null, true);
            }

            if (changes)
            {
                Close(episodes, rhythm, rhythmStart, t);
                (rhythm, rhythmStart) = (next, t);
            }
        }

        Close(episodes, rhythm, rhythmStart, duration);
        FromBeats(episodes, beats, symbols, sampleRate);
        episodes.Sort((x, y) => x.Start.CompareTo(y.Start));
        return [.. episodes];
    }

    private static void Close(List<EpisodeOccurrence> into, EpisodeKind? kind, double start, double end)
    {
        if (kind is { } k && end > start)
        {
            into.Add(new EpisodeOccurrence(k, start, end, null));
        }
    }

    private static EpisodeKind? MapRhythm(string aux) => aux switch
    {
        "(AFIB" => EpisodeKind.AtrialFibrillation,
        "(VT" or "(VFL" => EpisodeKind.VentricularTachycardia,
        "(SBR" or "(BII" => EpisodeKind.Bradycardia,
        "(SVTA" => EpisodeKind.Tachycardia,
        "(B" or "(T" => EpisodeKind.Pvc,
        _ => null,
    };

    private static void FromBeats(List<EpisodeOccurrence> into, List<double> beats, List<char> symbols, int rate)
    {
        var i = 0;
        while (i < beats.Count)
        {
            if (symbols[i] != 'V')
            {
                i++;
                continue;
            }

            var j = i;
            while (j + 1 < beats.Count && symbols[j + 1] == 'V' && (beats[j + 1] - beats[j]) / rate < 0.6)
            {
                j++;
            }

            if (j - i + 1 >= 3)
            {
                into.Add(new EpisodeOccurrence(EpisodeKind.VentricularTachycardia, beats[i] / rate, beats[j] / rate, null));
            }
            else
            {
                into.Add(new EpisodeOccurrence(EpisodeKind.Pvc, (beats[i] / rate) - 1, (beats[j] / rate) + 1, null));
            }

            i = j + 1;
        }

        // Sinus-rate episodes from a 10-beat moving mean of normal-to-normal intervals.
        EpisodeKind? current = null;
        double start = 0;
        for (var k = 10; k < beats.Count; k++)
        {
            var hr = 600.0 / ((beats[k] - beats[k - 10]) / rate);
            EpisodeKind? now = hr < 50 ? EpisodeKind.Bradycardia : hr > 100 ? EpisodeKind.Tachycardia : null;
            if (now != current)
            {
                Close(into, current, start, beats[k] / rate);
                (current, start) = (now, beats[k] / rate);
            }
        }

        if (beats.Count > 0)
        {
            Close(into, current, start, beats[^1] / rate);
        }
    }
}
