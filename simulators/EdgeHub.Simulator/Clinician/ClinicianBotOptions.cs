namespace EdgeHub.Simulator;

/// <summary>How the clinician bot answers alerts.</summary>
public sealed class ClinicianBotOptions
{
    /// <summary>How long after an alert is raised the bot answers (a clinician walking to the bed).</summary>
    public TimeSpan Delay { get; init; } = TimeSpan.FromSeconds(3);
    /// <summary>How far before the alert's start the truth is consulted (the edge alerts on a window of past signal).</summary>
    public TimeSpan Lookback { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Answer a wrong alert during a different abnormal rhythm with "relabel" (the true class) rather than "reject".</summary>
    public bool Relabel { get; init; } = true;
    /// <summary>Name put in the label's Clinician field.</summary>
    public string Clinician { get; init; } = "clinician-bot";
    /// <summary>MQTT client id of the bot.</summary>
    public string ClientId { get; init; } = "sim-clinician-bot";
}

/// <summary>One answer the bot gave.</summary>
/// <param name="AlertId">The alert answered.</param>
/// <param name="DeviceId">The device it was about.</param>
/// <param name="Kind">The alert's kind.</param>
/// <param name="Action">confirm, reject or relabel.</param>
/// <param name="Label">The class given with relabel, else null.</param>
public sealed record BotAnswer(string AlertId, string DeviceId, string Kind, string Action, string? Label);
