using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using EdgeHub.Mqtt;
using EdgeHub.Simulator;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Cli.Commands;

/// <summary>
/// <c>edgehub sim --broker HOST:PORT --devices N [--rate HZ] [--duration S] [--scenario FILE] [--replay DIR] [--seed S]
/// [--clinician-bot]</c>: runs a device fleet against a broker, shows live progress on stderr and prints the run's summary as
/// one JSON object on stdout (the last line).
/// </summary>
internal static class SimCommand
{
    public static Command Create()
    {
        var broker = new Option<string>("--broker") { Description = "MQTT broker HOST:PORT", DefaultValueFactory = _ => "127.0.0.1:1883" };
        var devices = new Option<int>("--devices") { Description = "number of virtual devices", DefaultValueFactory = _ => 10 };
        var rate = new Option<double>("--rate") { Description = "frames per second per device (a frame carries 1/rate s of 250 Hz ECG)", DefaultValueFactory = _ => 1 };
        var duration = new Option<double?>("--duration") { Description = "seconds to run (default: until Ctrl+C)" };
        var scenario = new Option<FileInfo?>("--scenario") { Description = "scenario JSON (default: the built-in mix; see simulators/EdgeHub.Simulator/scenarios/default.json)" };
        var replay = new Option<DirectoryInfo?>("--replay") { Description = "replay the WFDB records in DIR (resampled to the device rate) instead of synthesising" };
        var seed = new Option<int>("--seed") { Description = "random seed: same seed, same signals and truth", DefaultValueFactory = _ => 1 };
        var bot = new Option<bool>("--clinician-bot") { Description = "answer alerts with confirm/reject/relabel from the ground truth" };
        var botDelay = new Option<double>("--bot-delay") { Description = "seconds the clinician bot waits before answering", DefaultValueFactory = _ => 3 };
        var truth = new Option<string?>("--truth") { Description = "ground-truth JSONL file to write (episodes and beats); 'none' to skip", DefaultValueFactory = _ => "sim-truth.jsonl" };
        var noBeats = new Option<bool>("--no-beats") { Description = "leave beat times out of the truth file (episodes only)" };
        var perConnection = new Option<int>("--devices-per-connection") { Description = "devices multiplexed on one MQTT connection (1 = one connection per device)", DefaultValueFactory = _ => 1 };
        var qos = new Option<int>("--qos") { Description = "QoS of telemetry (0 or 1)", DefaultValueFactory = _ => 0 };
        var sampleRate = new Option<int>("--sample-rate") { Description = "ECG sample rate (Hz)", DefaultValueFactory = _ => 250 };
        var noFeedback = new Option<bool>("--no-feedback") { Description = "do not subscribe to feedback (no latency measurement)" };
        var progress = new Option<double>("--progress") { Description = "seconds between progress lines on stderr (0 = none)", DefaultValueFactory = _ => 2 };
        var storm = new Option<double>("--fault-storm") { Description = "every S seconds drop a share of connections (disconnect storm)" };
        var stormShare = new Option<double>("--fault-storm-share") { Description = "share of connections a storm drops", DefaultValueFactory = _ => 0.2 };
        var burst = new Option<double>("--fault-burst") { Description = "every S seconds a share of devices holds frames 5 s, then sends them at once" };
        var burstShare = new Option<double>("--fault-burst-share") { Description = "share of devices a burst affects", DefaultValueFactory = _ => 0.1 };
        var skew = new Option<double>("--fault-skew") { Description = "device clocks off by up to ± S seconds" };
        var drift = new Option<double>("--fault-drift") { Description = "device clocks drift by up to ± PPM" };
        var malformed = new Option<double>("--fault-malformed") { Description = "share of frames replaced by malformed payloads (0-1)" };
        var duplicate = new Option<double>("--fault-duplicate") { Description = "share of frames sent twice (0-1)" };
        var verbose = new Option<bool>("--verbose") { Description = "log connection and bot activity to stderr" };
        var command = new Command("sim", "device fleet simulator: synthetic or replayed ECG + vitals over MQTT, with faults and a clinician bot")
        {
            broker, devices, rate, duration, scenario, replay, seed, bot, botDelay, truth, noBeats, perConnection, qos, sampleRate,
            noFeedback, progress, storm, stormShare, burst, burstShare, skew, drift, malformed, duplicate, verbose,
        };
        command.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            try
            {
                return await RunAsync(pr, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or FileNotFoundException or DirectoryNotFoundException
                or InvalidDataException or InvalidOperationException or MqttException)
            {
                // One line saying what was wrong, not a stack trace.
                Console.Error.WriteLine($"edgehub sim: {ex.Message}");
                return 1;
            }
        });
        return command;

        async Task<int> RunAsync(ParseResult pr, CancellationToken ct)
        {
            var (host, port) = ParseBroker(pr.GetValue(broker)!);
            var qosValue = pr.GetValue(qos);
            if (qosValue is not (0 or 1))
            {
                throw new ArgumentException($"--qos must be 0 or 1, got {qosValue}");
            }

            var truthPath = pr.GetValue(truth);
            var options = new FleetOptions
            {
                BrokerHost = host,
                BrokerPort = port,
                Devices = pr.GetValue(devices),
                FramesPerSecond = pr.GetValue(rate),
                SampleRate = pr.GetValue(sampleRate),
                Duration = pr.GetValue(duration) is { } d ? TimeSpan.FromSeconds(d > 0 ? d : throw new ArgumentException($"--duration must be positive, got {d}")) : null,
                Scenario = pr.GetValue(scenario) is { } file ? Scenario.Load(file.FullName) : null,
                ReplayDirectory = pr.GetValue(replay)?.FullName,
                Seed = pr.GetValue(seed),
                DevicesPerConnection = pr.GetValue(perConnection),
                Qos = (MqttQos)qosValue,
                MeasureFeedback = !pr.GetValue(noFeedback),
                TruthPath = string.IsNullOrEmpty(truthPath) || truthPath == "none" ? null : truthPath,
                TruthBeats = !pr.GetValue(noBeats),
                Faults = new FaultOptions
                {
                    DisconnectStormEverySeconds = pr.GetValue(storm),
                    DisconnectFraction = pr.GetValue(stormShare),
                    BurstEverySeconds = pr.GetValue(burst),
                    BurstFraction = pr.GetValue(burstShare),
                    ClockSkewSeconds = pr.GetValue(skew),
                    ClockDriftPpm = pr.GetValue(drift),
                    MalformedRate = pr.GetValue(malformed),
                    DuplicateRate = pr.GetValue(duplicate),
                },
            };
            return await RunFleetAsync(options, pr.GetValue(bot), pr.GetValue(botDelay), pr.GetValue(progress), pr.GetValue(verbose), ct)
                .ConfigureAwait(false);
        }
    }

    private static async Task<int> RunFleetAsync(FleetOptions options, bool withBot, double botDelay, double progressSeconds, bool verbose,
        CancellationToken ct)
    {
        using var loggers = LoggerFactory.Create(b => b
            .SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Warning)
            .AddSimpleConsole(c => c.SingleLine = true)
            .AddConsole(c => c.LogToStandardErrorThreshold = LogLevel.Trace));
        var clock = Stopwatch.StartNew();
        await using var fleet = new Fleet(options, loggers);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"sim: {options.Devices} devices ({(options.ReplayDirectory is null ? "scenario " + fleet.Scenario.Name : "replay " + options.ReplayDirectory)}), " +
            $"{options.FramesPerSecond} frames/s each, broker {options.BrokerHost}:{options.BrokerPort}, built in {clock.ElapsedMilliseconds} ms"));
        ClinicianBot? clinician = null;
        if (withBot)
        {
            clinician = new ClinicianBot(
                new MqttClientOptions { Host = options.BrokerHost, Port = options.BrokerPort, ProtocolVersion = options.ProtocolVersion },
                fleet.Truth, new ClinicianBotOptions { Delay = TimeSpan.FromSeconds(botDelay) }, loggers);
            await clinician.StartAsync(ct).ConfigureAwait(false);
        }

        using var stopProgress = new CancellationTokenSource();
        var reporter = progressSeconds > 0 ? ReportAsync(fleet, options, clinician, progressSeconds, stopProgress.Token) : Task.CompletedTask;
        try
        {
            await fleet.RunAsync(ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl+C: a normal end; the summary still follows.
        }
        finally
        {
            await stopProgress.CancelAsync().ConfigureAwait(false);
            await reporter.ConfigureAwait(false);
        }

        var summary = fleet.Summarize() with { AlertsAnswered = clinician?.Answered ?? 0 };
        if (clinician is not null)
        {
            await clinician.DisposeAsync().ConfigureAwait(false);
        }

        if (summary.ConnectFailures > 0)
        {
            Console.Error.WriteLine($"sim: {summary.ConnectFailures} connection attempts failed; for large fleets raise 'ulimit -n' (broker and simulator) or use --devices-per-connection");
        }

        Console.Out.WriteLine(summary.ToJson());
        return 0;
    }

    private static async Task ReportAsync(Fleet fleet, FleetOptions options, ClinicianBot? bot, double seconds, CancellationToken ct)
    {
        var stats = fleet.Stats;
        long lastFrames = 0, lastFeedback = 0;
        var last = Stopwatch.GetTimestamp();
        var connections = (options.Devices + options.DevicesPerConnection - 1) / options.DevicesPerConnection;
        var p50 = stats.Latency.Snapshot();
        var p99 = stats.Latency.Snapshot();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds));
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                var now = Stopwatch.GetTimestamp();
                var dt = Stopwatch.GetElapsedTime(last, now).TotalSeconds;
                last = now;
                long frames = stats.FramesSent, feedback = stats.Feedback;
                var answered = bot is null ? "" : $"  alerts answered {bot.Answered}";
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{stats.ElapsedSeconds,6:F0}s] connected {stats.Connected}/{connections}  frames/s {(frames - lastFrames) / dt,8:F0}  " +
                    $"feedback/s {(feedback - lastFeedback) / dt,8:F0}  latency p50 {stats.Latency.PercentileSince(p50, 50) / 1000.0:F1} ms " +
                    $"p99 {stats.Latency.PercentileSince(p99, 99) / 1000.0:F1} ms  max lag {stats.MaxLagMicros / 1000.0:F0} ms{answered}"));
                (lastFrames, lastFeedback) = (frames, feedback);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static (string Host, int Port) ParseBroker(string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"--broker must be HOST:PORT (e.g. 127.0.0.1:1883), got '{value}'");
        }

        return (value[..colon], port);
    }
}
