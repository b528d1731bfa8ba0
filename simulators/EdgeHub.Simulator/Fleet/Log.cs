using Microsoft.Extensions.Logging;

namespace EdgeHub.Simulator;

/// <summary>Source-generated log messages (no formatting cost when the level is off).</summary>
internal static partial class Log
{
    [LoggerMessage(LogLevel.Debug, "connection {Client} attempt {Attempt} failed: {Error}")]
    public static partial void ConnectFailed(ILogger logger, string client, int attempt, string error);

    [LoggerMessage(LogLevel.Debug, "closing {Client}: {Error}")]
    public static partial void CloseFailed(ILogger logger, string client, string error);

    [LoggerMessage(LogLevel.Information, "disconnect storm: {Count} of {Total} connections dropped")]
    public static partial void Storm(ILogger logger, int count, int total);

    [LoggerMessage(LogLevel.Warning, "device {Device}: {Error}")]
    public static partial void DeviceFailed(ILogger logger, string device, string error);

    [LoggerMessage(LogLevel.Information, "clinician bot: {Action} alert {AlertId} ({Kind}) on {Device}: truth {Truth}")]
    public static partial void Answered(ILogger logger, string action, string alertId, string kind, string device, string truth);

    [LoggerMessage(LogLevel.Warning, "clinician bot: {Error}")]
    public static partial void BotError(ILogger logger, string error);
}
