using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Mqtt.Tests;

/// <summary>A logger provider that keeps every error (and worse) the broker logs, with its exception.</summary>
internal sealed class ErrorCollector : ILoggerProvider, ILogger
{
    public ConcurrentQueue<string> Errors { get; } = new();

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (logLevel >= LogLevel.Error)
        {
            Errors.Enqueue(formatter(state, exception) + " " + exception);
        }
    }

    public void Dispose()
    {
    }
}
