using EdgeHub.Signals;

namespace EdgeHub.Edge.Ingest;

/// <summary>The analyzer readings the safety net uses, in the units it expects (one place that knows the analyzer's types).</summary>
internal static class SignalReadings
{
    public static double? HeartRate(EcgStreamAnalyzer a)
    {
        double? hr = a.HeartRateBpm;
        return hr is { } v && double.IsFinite(v) && v > 0 ? v : null;
    }

    public static double SecondsSinceLastBeat(EcgStreamAnalyzer a) => a.SecondsSinceLastBeat;

    /// <summary>Beats in a fast wide run that count as VT-like: three or more consecutive ventricular beats above 120/min.</summary>
    public const int VtRunBeats = 3;

    public static bool FastWideRun(EcgStreamAnalyzer a) => a.RecentFastWideRun >= VtRunBeats;
}
