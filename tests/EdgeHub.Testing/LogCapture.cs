using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Testing;

/// <summary>A logger factory that keeps every line at Information or above (tests assert on the reasons the logs give).</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    /// <summary>A factory writing here.</summary>
    public ILoggerFactory Factory() => LoggerFactory.Create(b => b.AddProvider(this).SetMinimumLevel(LogLevel.Information));

    /// <summary>Lines so far ("Level: message").</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    /// <summary>True when one line contains every fragment.</summary>
    public bool Contains(params string[] fragments) => Lines.Any(l => fragments.All(f => l.Contains(f, StringComparison.Ordinal)));

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new Logger(this);

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner._lines.Enqueue($"{logLevel}: {formatter(state, exception)}");
            }
        }
    }
}
