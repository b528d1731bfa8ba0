
namespace EdgeHub.Simulator;

/// <summary>One episode occurrence, in seconds from the run start.</summary>
public readonly record struct EpisodeOccurrence(EpisodeKind Kind, double Start, double End, EpisodeTemplate? Template);

/// <summary>Where a device's ground truth comes from (a scripted schedule or an annotated record being replayed).</summary>
public interface IDeviceTruth
{
    /// <summary>Adds every episode that overlaps [<paramref name="from"/>, <paramref name="to"/>) (seconds from run start).</summary>
    void EpisodesOverlapping(double from, double to, List<EpisodeOccurrence> into);
}

/// <summary>
/// What happens to one device and when: its cohort's templates expanded lazily (see <see cref="EpisodeTemplate"/>).
/// Answers "what is active at t" for the generator and "what overlapped [a, b)" for the ground truth from the same formula.
/// </summary>
public sealed class DeviceSchedule : IDeviceTruth
{
    private readonly EpisodeTemplate[] _templates;
    private readonly int _seed;
    private readonly int _device;

    /// <summary>Schedule of device <paramref name="device"/> (0-based index) in a run seeded with <paramref name="seed"/>.</summary>
    public DeviceSchedule(int seed, int device, IReadOnlyList<EpisodeTemplate>? templates)
    {
        _seed = seed;
        _device = device;
        _templates = templates is null ? [] : [.. templates];
    }

    /// <summary>True when the device has no episodes at all.</summary>
    public bool IsEmpty => _templates.Length == 0;

    /// <summary>The ECG condition and vitals targets at <paramref name="t"/> seconds from the run start.</summary>
    public PatientState StateAt(double t)
    {
        EpisodeTemplate? rhythm = null;
        var state = default(PatientState);
        for (var i = 0; i < _templates.Length; i++)
        {
            var template = _templates[i];
            var k = template.LastOccurrenceAtOrBefore(_seed, _device, i, t);
            if (k < 0 || template.Occurrence(_seed, _device, i, k).End <= t)
            {
                continue;
            }

            switch (template.Kind)
            {
                case EpisodeKind.Desaturation:
                    state.DesaturationSpO2 = template.SpO2 > 0 ? template.SpO2 : 85;
                    break;
                case EpisodeKind.MotionNoise:
                    state.MotionNoise = true;
                    break;
                case EpisodeKind.LeadOff:
                    state.LeadOff = true;
                    break;
                default:
                    if (rhythm is null || Priority(template.Kind) > Priority(rhythm.Kind))
                    {
                        rhythm = template;
                    }

                    break;
            }
        }

        state.Ecg = new EcgCondition
        {
            Rhythm = rhythm?.Kind,
            RateBpm = rhythm?.Rate ?? 0,
            PvcEvery = rhythm?.PvcEvery ?? 0,
            MotionNoise = state.MotionNoise,
            LeadOff = state.LeadOff,
        };
        return state;
    }

    /// <summary>The first episode start or end strictly after <paramref name="t"/> (seconds), or +∞.</summary>
    public double NextChangeAfter(double t)
    {
        var next = double.PositiveInfinity;
        for (var i = 0; i < _templates.Length; i++)
        {
            var template = _templates[i];
            var k = Math.Max(0, template.LastOccurrenceAtOrBefore(_seed, _device, i, t));
            // The occurrence containing t (or the last one before it) and the next one bound every change after t.
            for (var j = k; j <= k + 1; j++)
            {
                if (j > 0 && template.RepeatEvery <= 0)
                {
                    break;
                }

                var (start, end) = template.Occurrence(_seed, _device, i, j);
                if (start > t && start < next)
                {
                    next = start;
                }

                if (end > t && end < next)
                {
                    next = end;
                }
            }
        }

        return next;
    }

    /// <inheritdoc />
    public void EpisodesOverlapping(double from, double to, List<EpisodeOccurrence> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        for (var i = 0; i < _templates.Length; i++)
        {
            var template = _templates[i];
            var last = template.LastOccurrenceAtOrBefore(_seed, _device, i, to);
            if (last < 0)
            {
                continue;
            }

            var first = template.RepeatEvery > 0
                ? Math.Max(0, (long)Math.Floor((from - template.Start - template.Duration - template.Jitter) / template.RepeatEvery))
                : 0;
            for (var k = first; k <= last; k++)
            {
                var (start, end) = template.Occurrence(_seed, _device, i, k);
                if (start < to && end > from)
                {
                    into.Add(new EpisodeOccurrence(template.Kind, start, end, template));
                }
            }
        }
    }

    /// <summary>Which rhythm wins when two overlap: the more dangerous one.</summary>
    public static int Priority(EpisodeKind kind) => kind switch
    {
        EpisodeKind.VentricularTachycardia => 5,
        EpisodeKind.AtrialFibrillation => 4,
        EpisodeKind.Pvc => 3,
        EpisodeKind.Tachycardia => 2,
        EpisodeKind.Bradycardia => 1,
        _ => 0,
    };
}

/// <summary>A device's situation at one instant: the ECG condition plus the overlays that drive the vitals.</summary>
public struct PatientState
{
    /// <summary>Rhythm and ECG artefacts.</summary>
    public EcgCondition Ecg { get; set; }
    /// <summary>SpO2 target while a desaturation is active, else null.</summary>
    public double? DesaturationSpO2 { get; set; }
    /// <summary>Motion artefact active.</summary>
    public bool MotionNoise { get; set; }
    /// <summary>Electrodes off.</summary>
    public bool LeadOff { get; set; }
}
