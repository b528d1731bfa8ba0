using EdgeHub.Contracts;

namespace EdgeHub.Simulator;

/// <summary>
/// Vital signs that follow the episodes with physiological lag: each sign relaxes towards a target set by the active
/// episodes (first-order, with its own time constant), plus a little measurement noise. VT drops blood pressure and SpO2,
/// AF and bradycardia lower pressure, tachycardia comes with fever and faster breathing, desaturation drops SpO2 and raises
/// the breathing rate. Motion and lead-off leave them alone (SpO2 and cuff are separate sensors).
/// </summary>
public sealed class SimulatedVitals
{
    private readonly PatientProfile _profile;
    private SimRandom _rng;
    private double _spo2, _resp, _sys, _dia, _temp;

    /// <summary>Starts at the patient's resting values.</summary>
    public SimulatedVitals(PatientProfile profile, int seed)
    {
        _profile = profile ?? throw new ArgumentNullException(nameof(profile));
        _rng = new SimRandom(unchecked((ulong)seed * 0xD1B54A32D192ED03UL + 99));
        (_spo2, _resp, _sys, _dia, _temp) = (profile.SpO2, profile.RespirationRate, profile.Systolic, profile.Diastolic, profile.TemperatureC);
    }

    /// <summary>Current SpO2 (%), before rounding.</summary>
    public double SpO2 => _spo2;

    /// <summary>Advances <paramref name="seconds"/> under <paramref name="state"/> and writes the readings into <paramref name="frame"/>.</summary>
    public void Update(double seconds, in PatientState state, TelemetryFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var p = _profile;
        double spo2 = p.SpO2, resp = p.RespirationRate, sys = p.Systolic, dia = p.Diastolic, temp = p.TemperatureC;
        switch (state.Ecg.Rhythm)
        {
            case EpisodeKind.VentricularTachycardia:
                (sys, dia, spo2, resp) = (Math.Min(sys, 86), Math.Min(dia, 54), spo2 - 4, resp + 7);
                break;
            case EpisodeKind.AtrialFibrillation:
                (sys, dia, resp) = (sys - 10, dia - 4, resp + 2);
                break;
            case EpisodeKind.Bradycardia:
                (sys, dia) = (sys - 14, dia - 8);
                break;
            case EpisodeKind.Tachycardia:
                (sys, resp, temp) = (sys + 6, resp + 6, Math.Max(temp, 38.4));
                break;
        }

        if (state.DesaturationSpO2 is { } target)
        {
            (spo2, resp) = (Math.Min(spo2, target), resp + 8);
        }

        _spo2 = Relax(_spo2, spo2, seconds, 10);
        _resp = Relax(_resp, resp, seconds, 6);
        _sys = Relax(_sys, sys, seconds, 8);
        _dia = Relax(_dia, dia, seconds, 8);
        _temp = Relax(_temp, temp, seconds, 90);

        frame.SpO2 = (byte)Math.Clamp(Math.Round(_spo2 + (0.4 * _rng.NextGaussian())), 50, 100);
        frame.RespirationRate = (byte)Math.Clamp(Math.Round(_resp + (0.5 * _rng.NextGaussian())), 4, 60);
        // AF beats fill the ventricle unevenly: pressure varies beat to beat.
        var scatter = state.Ecg.Rhythm == EpisodeKind.AtrialFibrillation ? 6 : 1.5;
        frame.Systolic = (ushort)Math.Clamp(Math.Round(_sys + (scatter * _rng.NextGaussian())), 50, 250);
        frame.Diastolic = (ushort)Math.Clamp(Math.Round(_dia + (scatter * 0.6 * _rng.NextGaussian())), 30, 150);
        frame.TemperatureC = (float)Math.Round(_temp + (0.02 * _rng.NextGaussian()), 1);
    }

    private static double Relax(double value, double target, double seconds, double tau) =>
        target + ((value - target) * Math.Exp(-seconds / tau));
}
