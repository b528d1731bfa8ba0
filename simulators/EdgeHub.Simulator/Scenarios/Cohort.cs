namespace EdgeHub.Simulator;

/// <summary>A validated cohort: which devices, and the episode templates they share.</summary>
public sealed class Cohort
{
    /// <summary>Cohort name.</summary>
    public required string Name { get; init; }
    /// <summary>Explicit device ids, or null.</summary>
    public IReadOnlyList<string>? DeviceIds { get; init; }
    /// <summary>Number of devices, or null.</summary>
    public int? Count { get; init; }
    /// <summary>Fraction of the fleet, or null.</summary>
    public double? Share { get; init; }
    /// <summary>Episode templates.</summary>
    public required IReadOnlyList<EpisodeTemplate> Episodes { get; init; }

    internal static Cohort FromFile(CohortFile file, string where)
    {
        var name = file.Name ?? where;
        var selectors = (file.Devices is not null ? 1 : 0) + (file.Count is not null ? 1 : 0) + (file.Share is not null ? 1 : 0);
        if (selectors != 1)
        {
            throw new FormatException($"{where} ('{name}'): give exactly one of \"devices\", \"count\" or \"share\"");
        }

        if (file.Count is < 0)
        {
            throw new FormatException($"{where} ('{name}'): count {file.Count} is negative");
        }

        if (file.Share is { } share && (share is < 0 or > 1 || double.IsNaN(share)))
        {
            throw new FormatException($"{where} ('{name}'): share {share} must be between 0 and 1");
        }

        var episodes = new List<EpisodeTemplate>();
        for (var i = 0; i < (file.Episodes?.Count ?? 0); i++)
        {
            episodes.Add(ToTemplate(file.Episodes![i], $"{where}.episodes[{i}]"));
        }

        return new Cohort { Name = name, DeviceIds = file.Devices, Count = file.Count, Share = file.Share, Episodes = episodes };
    }

    private static EpisodeTemplate ToTemplate(EpisodeFile e, string where)
    {
        if (!EpisodeKinds.TryParse(e.Kind, out var kind))
        {
            throw new FormatException($"{where}: unknown kind '{e.Kind}' (use one of {EpisodeKinds.AllNames})");
        }

        Require(e.Start >= 0 && double.IsFinite(e.Start), where, $"start {e.Start} must be >= 0 seconds");
        Require(e.Duration > 0 && double.IsFinite(e.Duration), where, $"duration {e.Duration} must be > 0 seconds");
        Require(e.Jitter >= 0 && double.IsFinite(e.Jitter), where, $"jitter {e.Jitter} must be >= 0 seconds");
        Require(e.RepeatEvery == 0 || e.RepeatEvery > e.Duration + e.Jitter, where,
            $"repeatEvery {e.RepeatEvery} must be 0 (once) or longer than duration + jitter ({e.Duration + e.Jitter}) so occurrences do not overlap");
        if (e.Rate != 0)
        {
            var (lo, hi) = kind switch
            {
                EpisodeKind.VentricularTachycardia => (150.0, 250.0),
                EpisodeKind.Bradycardia => (25.0, 59.0),
                EpisodeKind.Tachycardia => (101.0, 200.0),
                EpisodeKind.AtrialFibrillation => (50.0, 180.0),
                _ => (0.0, -1.0),
            };
            Require(hi > 0, where, $"rate applies to af, vt, brady and tachy, not {EpisodeKinds.Name(kind)}");
            Require(e.Rate >= lo && e.Rate <= hi, where, $"rate {e.Rate} bpm is outside {lo}-{hi} for {EpisodeKinds.Name(kind)}");
        }

        Require(e.PvcEvery >= 0 && e.PvcEvery <= 20, where, $"pvcEvery {e.PvcEvery} must be 0-20");
        Require(e.Spo2 == 0 || e.Spo2 is >= 50 and <= 94, where, $"spo2 {e.Spo2} must be 50-94 % (a desaturation)");
        return new EpisodeTemplate
        {
            Kind = kind, Start = e.Start, Duration = e.Duration, RepeatEvery = e.RepeatEvery, Jitter = e.Jitter,
            Rate = e.Rate, PvcEvery = e.PvcEvery, SpO2 = e.Spo2,
        };
    }

    private static void Require(bool ok, string where, string message)
    {
        if (!ok)
        {
            throw new FormatException($"{where}: {message}");
        }
    }
}
