using EdgeHub.Contracts;

namespace EdgeHub.Edge.Alerts;

/// <summary>One alert state change to publish.</summary>
public readonly record struct AlertEvent(AlertKind Kind, AlertTransition Transition, string AlertId, AlertSeverity Severity, long StartedMicros, long FirstAboveMicros);

/// <summary>What the safety net looks at for one device after one frame.</summary>
public record struct SafetyInputs
{
    /// <summary>Current heart rate, or null before enough beats.</summary>
    public double? HeartRate { get; set; }
    /// <summary>Seconds since the last detected QRS.</summary>
    public double SecondsSinceLastBeat { get; set; }
    /// <summary>A run of fast wide beats was just seen.</summary>
    public bool FastWideRun { get; set; }
    /// <summary>Latest SpO2 %, or null.</summary>
    public byte? SpO2 { get; set; }
    /// <summary>Electrodes off (device flag) in this frame.</summary>
    public bool LeadOff { get; set; }
    /// <summary>Seconds of signal seen for this device (rules need a few seconds before they can judge).</summary>
    public double SecondsObserved { get; set; }
}

/// <summary>
/// The rule-based safety net: needs no model and is always on. Thresholds follow NEWS2 (Royal College of Physicians, 2017):
/// pulse ≤ 40 or ≥ 131/min and SpO2 ≤ 91 % (scale 1) score 3, the single-parameter red trigger. Asystole is no QRS
/// for ≥ 4 s with electrodes on (the common bedside-monitor default); VT-like runs come from the signal analyzer.
/// </summary>
public static class SafetyNet
{
    /// <summary>Seconds without QRS that raise asystole.</summary>
    public const double AsystoleSeconds = 4;

    /// <summary>Evaluates every rule; writes the transitions to <paramref name="events"/> and returns how many.</summary>
    public static int Evaluate(AlertTracker tracker, in SafetyInputs x, long nowMicros, Span<AlertEvent> events)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        var n = 0;
        var warm = x.SecondsObserved >= AsystoleSeconds + 1;
        var leadOn = !x.LeadOff;

        // Asystole: only with electrodes on (a lead-off looks like asystole and is its own, lower alert).
        var asystole = warm && leadOn && x.SecondsSinceLastBeat >= AsystoleSeconds;
        n = Add(tracker, AlertKinds.Asystole, asystole, leadOn && x.SecondsSinceLastBeat < 2, nowMicros, AlertSeverity.Critical, events, n);

        n = Add(tracker, AlertKinds.VtRun, leadOn && x.FastWideRun, !x.FastWideRun, nowMicros, AlertSeverity.Critical, events, n);

        var hr = leadOn ? x.HeartRate : null;
        n = Add(tracker, AlertKinds.HrHigh, hr >= 131, hr is null or <= 120, nowMicros, hr >= 160 ? AlertSeverity.Critical : AlertSeverity.High, events, n);
        n = Add(tracker, AlertKinds.HrLow, hr <= 40, hr is null or >= 45, nowMicros, hr <= 30 ? AlertSeverity.Critical : AlertSeverity.High, events, n);

        var spo2 = x.SpO2;
        n = Add(tracker, AlertKinds.Spo2Low, spo2 <= 91, spo2 is null or >= 94, nowMicros, spo2 <= 85 ? AlertSeverity.Critical : AlertSeverity.High, events, n);

        n = Add(tracker, AlertKinds.LeadOff, x.LeadOff, leadOn, nowMicros, AlertSeverity.Low, events, n);
        return n;
    }

    /// <summary>
    /// Evaluates the model's class probabilities for one window: a class counts towards raising at
    /// ≥ <see cref="AlertOptions.RaiseProbability"/> and towards clearing below <see cref="AlertOptions.ClearProbability"/>.
    /// </summary>
    public static int EvaluateModel(AlertTracker tracker, ReadOnlySpan<float> probabilities, AlertOptions options, long nowMicros, Span<AlertEvent> events)
    {
        ArgumentNullException.ThrowIfNull(tracker);
        ArgumentNullException.ThrowIfNull(options);
        var n = 0;
        for (var c = 1; c < RhythmClasses.Count && c < probabilities.Length; c++)
        {
            var kind = AlertKinds.ForClass((RhythmClass)c);
            var p = probabilities[c];
            n = Add(tracker, kind, p >= options.RaiseProbability, p < options.ClearProbability, nowMicros, kind.Severity, events, n);
        }

        return n;
    }

    private static int Add(AlertTracker tracker, AlertKind kind, bool above, bool below, long now, AlertSeverity severity, Span<AlertEvent> events, int n)
    {
        var started = tracker.ActiveId(kind) is null ? 0 : tracker.StartedMicros(kind);
        var t = tracker.Evaluate(kind, above, below, now, severity, out var id);
        if (t == AlertTransition.None || id is null)
        {
            return n;
        }

        if (t == AlertTransition.Raised)
        {
            started = tracker.StartedMicros(kind);
        }

        events[n] = new AlertEvent(kind, t, id, t == AlertTransition.Cleared ? severity : tracker.Severity(kind), started, t == AlertTransition.Raised ? tracker.FirstAboveMicros(kind) : started);
        return n + 1;
    }
}
