using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace EdgeHub.Testing;

/// <summary>
/// A service under test running as its own process (e.g. <c>dotnet edgehub.dll hub --config FILE</c>), so a test can
/// SIGKILL it at any point and start the very same command again. Standard output and error go to one log file that
/// survives restarts (each start is marked), so failure messages can quote what the process said. Disposing kills it.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private readonly string _fileName;
    private readonly IReadOnlyList<string> _arguments;
    private readonly IReadOnlyDictionary<string, string?> _environment;
    private readonly Lock _logGate = new();
    private Process? _process;
    private StreamWriter? _log;
    private int _starts;

    /// <summary>Describes the command; nothing runs until <see cref="Start"/>.</summary>
    /// <param name="name">Name in messages and the log file name (NAME.log in <paramref name="logDirectory"/>).</param>
    /// <param name="logDirectory">Folder of the log file.</param>
    /// <param name="fileName">Executable, e.g. "dotnet".</param>
    /// <param name="arguments">Arguments, passed without shell quoting.</param>
    /// <param name="environment">Variables to set (a null value removes an inherited variable).</param>
    public ChildProcess(string name, string logDirectory, string fileName, IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(logDirectory);
        Name = name;
        _fileName = fileName;
        _arguments = arguments;
        _environment = environment ?? new Dictionary<string, string?>();
        Directory.CreateDirectory(logDirectory);
        LogPath = Path.Combine(logDirectory, name + ".log");
    }

    /// <summary>Name given at construction.</summary>
    public string Name { get; }

    /// <summary>The log file (all starts appended).</summary>
    public string LogPath { get; }

    /// <summary>True while the process of the latest start runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Exit code of the latest start once it exited, else null.</summary>
    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>How many times the command was started.</summary>
    public int Starts => _starts;

    /// <summary>Starts the command (again); throws when it is still running.</summary>
    public void Start()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"{Name} is already running (pid {_process!.Id})");
        }

        _process?.Dispose();
        var info = new ProcessStartInfo(_fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in _arguments)
        {
            info.ArgumentList.Add(a);
        }

        foreach (var (key, value) in _environment)
        {
            if (value is null)
            {
                info.Environment.Remove(key);
            }
            else
            {
                info.Environment[key] = value;
            }
        }

        lock (_logGate)
        {
            _log ??= new StreamWriter(new FileStream(LogPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite), Encoding.UTF8) { AutoFlush = true };
            _starts++;
            _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"----- start {_starts} of {Name} at {DateTime.UtcNow:HH:mm:ss.fff}: {_fileName} {string.Join(' ', _arguments)}"));
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException($"{Name}: could not start {_fileName}");
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    /// <summary>SIGKILL (no shutdown code runs in the child), then waits until it is gone.</summary>
    public void Kill()
    {
        if (_process is not { HasExited: false } p)
        {
            return;
        }

        Note("SIGKILL");
        p.Kill(entireProcessTree: false);
        p.WaitForExit(15_000);
    }

    /// <summary>SIGTERM (a clean stop); kills it when it has not exited within <paramref name="timeout"/>. True when it stopped by itself.</summary>
    public async Task<bool> TerminateAsync(TimeSpan timeout)
    {
        if (_process is not { HasExited: false } p)
        {
            return true;
        }

        Note("SIGTERM");
        using (var kill = Process.Start("kill", ["-TERM", p.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync().ConfigureAwait(false);
        }

        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            Kill();
            return false;
        }
    }

    /// <summary>Throws with the log tail when the process exited (a service must never stop by itself during a test).</summary>
    public void EnsureRunning()
    {
        if (_process is { HasExited: true } p)
        {
            throw new InvalidOperationException($"{Name} exited by itself with code {p.ExitCode}:\n{LogTail()}");
        }
    }

    /// <summary>The last <paramref name="chars"/> characters of the log (for failure messages).</summary>
    public string LogTail(int chars = 3000)
    {
        try
        {
            using var s = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var r = new StreamReader(s);
            var text = r.ReadToEnd();
            return text.Length > chars ? text[^chars..] : text;
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    /// <summary>True when the log holds <paramref name="text"/>.</summary>
    public bool LogContains(string text) => LogTail(int.MaxValue).Contains(text, StringComparison.Ordinal);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync().ConfigureAwait(false);
        }

        _process?.Dispose();
        lock (_logGate)
        {
            _log?.Dispose();
            _log = null;
        }
    }

    private void Note(string what) => Write(string.Create(CultureInfo.InvariantCulture, $"----- {what} to {Name} at {DateTime.UtcNow:HH:mm:ss.fff}"));

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logGate)
        {
            _log?.WriteLine(line);
        }
    }
}
