using System.Diagnostics;
using System.Text;
using EdgeHub.Testing;

namespace EdgeHub.Hub.Tests.Support;

/// <summary>A hub node running as its own process (this test assembly's Main), so it can be killed with SIGKILL.</summary>
public sealed class HubNodeProcess : IAsyncDisposable
{
    private readonly string _configFile;
    private readonly string _logFile;
    private Process? _process;

    public HubNodeProcess(string name, string configFile, int httpPort, string logDirectory)
    {
        Name = name;
        _configFile = configFile;
        HttpPort = httpPort;
        _logFile = Path.Combine(logDirectory, name + ".log");
    }

    public string Name { get; }

    public int HttpPort { get; }

    public bool IsRunning => _process is { HasExited: false };

    public void Start()
    {
        var dll = typeof(HubNodeProgram).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["exec", dll, "hub", "--config", _configFile])
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{HttpPort}";
        psi.Environment.Remove("EDGEHUB_DATA");
        var process = Process.Start(psi)!;
        var log = new StreamWriter(_logFile, append: true, Encoding.UTF8) { AutoFlush = true };
        var gate = new Lock();
        void Write(string? line)
        {
            if (line is not null)
            {
                lock (gate)
                {
                    log.WriteLine(line);
                }
            }
        }

        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.Exited += (_, _) => { lock (gate) { log.Dispose(); } };
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    /// <summary>Waits until /readyz answers 200 (catalog migrated, MQTT connected).</summary>
    public async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var ready = false;
        var clock = Stopwatch.StartNew();
        while (!ready)
        {
            if (_process is null || _process.HasExited)
            {
                throw new InvalidOperationException($"hub node {Name} exited with code {_process?.ExitCode}: {Log()}");
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"hub node {Name} not ready within {timeout.TotalSeconds} s: {Log()}");
            }

            try
            {
                ready = (await http.GetAsync(new Uri($"http://127.0.0.1:{HttpPort}/readyz"))).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            if (!ready)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill()
    {
        _process!.Kill(entireProcessTree: false);
        _process.WaitForExit(10_000);
    }

    /// <summary>The node's log so far (for failure messages).</summary>
    public string Log()
    {
        try
        {
            using var s = new FileStream(_logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var r = new StreamReader(s);
            var text = r.ReadToEnd();
            return text.Length > 4000 ? text[^4000..] : text;
        }
        catch (IOException)
        {
            return "(no log)";
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process?.Dispose();
    }
}
