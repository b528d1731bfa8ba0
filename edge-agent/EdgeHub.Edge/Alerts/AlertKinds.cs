using EdgeHub.Contracts;

namespace EdgeHub.Edge.Alerts;

/// <summary>One kind of alert the edge can raise: a model class or a safety rule, with its hysteresis.</summary>
/// <param name="Index">Slot index in a device's alert state.</param>
/// <param name="Name">Payload name (<see cref="AlertMessage.Kind"/>).</param>
/// <param name="Source">"model" or "safety".</param>
/// <param name="Severity">Severity when raised.</param>
/// <param name="RaiseAfter">Consecutive evaluations above before raising (0 = from <see cref="AlertOptions"/>).</param>
/// <param name="ClearAfter">Consecutive evaluations below before clearing (0 = from <see cref="AlertOptions"/>).</param>
/// <param name="LabelClass">Class a clinician's "confirm" means for the windows of this alert, or null when none applies.</param>
public sealed record AlertKind(int Index, string Name, string Source, AlertSeverity Severity, int RaiseAfter, int ClearAfter, RhythmClass? LabelClass);

/// <summary>The alert kinds, model classes first (index = class - 1), then the safety rules.</summary>
public static class AlertKinds
{
    /// <summary>Model class kinds: af, pvc, vt, brady, tachy (normal raises nothing).</summary>
    public static readonly AlertKind Af = new(0, "af", "model", AlertSeverity.High, 0, 0, RhythmClass.AtrialFibrillation);
    public static readonly AlertKind Pvc = new(1, "pvc", "model", AlertSeverity.Low, 0, 0, RhythmClass.VentricularEctopy);
    public static readonly AlertKind Vt = new(2, "vt", "model", AlertSeverity.Critical, 0, 0, RhythmClass.VentricularTachycardia);
    public static readonly AlertKind Brady = new(3, "brady", "model", AlertSeverity.Medium, 0, 0, RhythmClass.Bradycardia);
    public static readonly AlertKind Tachy = new(4, "tachy", "model", AlertSeverity.Medium, 0, 0, RhythmClass.Tachycardia);

    /// <summary>No QRS for ≥ 4 s with electrodes on: raised at once.</summary>
    public static readonly AlertKind Asystole = new(5, "asystole", "safety", AlertSeverity.Critical, 1, 2, null);

    /// <summary>A run of fast wide beats (VT-like): raised at once.</summary>
    public static readonly AlertKind VtRun = new(6, "vt_run", "safety", AlertSeverity.Critical, 1, 3, RhythmClass.VentricularTachycardia);

    /// <summary>Heart rate ≥ 131/min (NEWS2 pulse score 3).</summary>
    public static readonly AlertKind HrHigh = new(7, "hr_high", "safety", AlertSeverity.High, 3, 5, RhythmClass.Tachycardia);

    /// <summary>Heart rate ≤ 40/min (NEWS2 pulse score 3).</summary>
    public static readonly AlertKind HrLow = new(8, "hr_low", "safety", AlertSeverity.High, 3, 5, RhythmClass.Bradycardia);

    /// <summary>SpO2 ≤ 91 % (NEWS2 SpO2 scale 1 score 3).</summary>
    public static readonly AlertKind Spo2Low = new(9, "spo2_low", "safety", AlertSeverity.High, 3, 5, null);

    /// <summary>Electrodes off for 10 s: the patient is not being monitored.</summary>
    public static readonly AlertKind LeadOff = new(10, "lead_off", "safety", AlertSeverity.Low, 10, 3, null);

    /// <summary>Every kind by index.</summary>
    public static IReadOnlyList<AlertKind> All { get; } = [Af, Pvc, Vt, Brady, Tachy, Asystole, VtRun, HrHigh, HrLow, Spo2Low, LeadOff];

    /// <summary>Number of kinds (slots per device).</summary>
    public const int Count = 11;

    /// <summary>The kind that alerts for model class <paramref name="c"/> (not Normal).</summary>
    public static AlertKind ForClass(RhythmClass c) =>
        c == RhythmClass.Normal ? throw new ArgumentOutOfRangeException(nameof(c), "normal rhythm raises no alert") : All[(int)c - 1];

    /// <summary>The kind called <paramref name="name"/>, or null.</summary>
    public static AlertKind? Find(string? name)
    {
        foreach (var k in All)
        {
            if (k.Name == name)
            {
                return k;
            }
        }

        return null;
    }
}
