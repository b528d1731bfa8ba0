using System.Diagnostics;
using EdgeHub.Contracts;
using EdgeHub.Mqtt;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeHub.Simulator;

/// <summary>
/// A fleet of virtual monitors in one process. Devices are plain objects driven by a few scheduler loops (one per core by
/// default, never a thread per device); each loop owns a share of the devices, staggered evenly over one frame period, and
/// renders, encodes and publishes each device's frame when it falls due. Each device (or group of devices) has its own
/// MQTT connection and listens to its feedback topic to measure publish→feedback latency by frame sequence number.
/// </summary>
public sealed partial class Fleet : IAsyncDisposable
{
    private readonly FleetOptions _options;
    private readonly ILogger _logger;
    private readonly ILoggerFactory _loggerFactory;
    private readonly Scenario _scenario;
    private readonly VirtualDevice[] _devices;
    private readonly DeviceConnection[] _connections;
    private TruthWriter? _truthWriter;
    private bool _ran;

    /// <summary>Builds the devices, their schedules or replays, and the ground truth. Nothing connects until <see cref="RunAsync"/>.</summary>
    public Fleet(FleetOptions o, ILoggerFactory? lf = null)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.Validate();
        _options = o;
        _loggerFactory = lf ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("EdgeHub.Simulator.Fleet");
        _scenario = o.Scenario ?? Scenario.Default;
        var records = o.ReplayDirectory is null ? null : ReplayLibrary.Load(o.ReplayDirectory, o.SampleRate);
        var cohorts = _scenario.Assign(o.Devices);
        var period = 1 / o.FramesPerSecond;
        _devices = new VirtualDevice[o.Devices];
        var ids = new string[o.Devices];
        var truths = new IDeviceTruth[o.Devices];
        var rng = SimRandom.ForStream(o.Seed, 0, purpose: 3);
        var sites = _scenario.Sites;
        for (var i = 0; i < o.Devices; i++)
        {
            var id = _scenario.DeviceId(i);
            var offset = (double)i / o.Devices * period;
            ITelemetrySource source;
            IDeviceTruth truth;
            if (records is not null)
            {
                var record = records[i % records.Count];
                // Devices sharing a record start 97 s apart in it, so they are not in lock step.
                var replay = new ReplayPatient(record, (i / records.Count) * 97.0 % record.DurationSeconds, o.Seed, i, offset);
                (source, truth) = (replay, replay);
            }
            else
            {
                var schedule = new DeviceSchedule(o.Seed, i, cohorts[i]?.Episodes);
                (source, truth) = (new SimulatedPatient(o.SampleRate, o.Seed, i, schedule, null, offset), schedule);
            }

            var device = new VirtualDevice(i, id, sites[i % sites.Count], $"P-{i + 1:D5}", $"B{(i / sites.Count) + 1:D3}", source,
                truth, offset, records is null ? cohorts[i]?.Name : source is ReplayPatient rp ? "record-" + rp.Record.Name : null);
            if (o.Faults.ClockSkewSeconds > 0)
            {
                device.SkewMicros = (long)(rng.Uniform(-o.Faults.ClockSkewSeconds, o.Faults.ClockSkewSeconds) * 1e6);
            }

            if (o.Faults.ClockDriftPpm > 0)
            {
                device.DriftPpm = rng.Uniform(-o.Faults.ClockDriftPpm, o.Faults.ClockDriftPpm);
            }

            _devices[i] = device;
            ids[i] = id;
            truths[i] = truth;
        }

        Truth = new GroundTruth(o.Start ?? DateTimeOffset.UtcNow, ids, truths);
        var perConnection = o.DevicesPerConnection;
        _connections = new DeviceConnection[(o.Devices + perConnection - 1) / perConnection];
        var endpoint = new DeviceEndpoint(o);
        for (var c = 0; c < _connections.Length; c++)
        {
            var group = _devices.AsSpan(c * perConnection, Math.Min(perConnection, o.Devices - (c * perConnection))).ToArray();
            var clientId = perConnection == 1 ? $"{o.ClientIdPrefix}-{group[0].DeviceId}" : $"{o.ClientIdPrefix}-mux-{c + 1:D5}";
            _connections[c] = new DeviceConnection(endpoint, clientId, group, Stats, o.MeasureFeedback, _loggerFactory.CreateLogger("EdgeHub.Simulator.Device"));
        }
    }

    /// <summary>Live counters.</summary>
    public FleetStats Stats { get; } = new();

    /// <summary>Exact ground truth of this run (its start moves to the moment sending begins unless the options fix it).</summary>
    public GroundTruth Truth { get; }

    /// <summary>The scenario in use.</summary>
    public Scenario Scenario => _scenario;

    /// <summary>Device ids in fleet order.</summary>
    public IReadOnlyList<string> DeviceIds => Truth.DeviceIds;

    /// <summary>The summary of the run so far (final once <see cref="RunAsync"/> has returned).</summary>
    public FleetSummary Summarize() => Stats.Summarize(_options, _options.ReplayDirectory is null ? _scenario.Name : "replay", _options.TruthPath);

    /// <summary>
    /// Connects every device, then streams until the duration passes or <paramref name="ct"/> is cancelled (a normal end:
    /// no exception). Throws when no connection at all can be made to the broker.
    /// </summary>
    public async Task RunAsync(CancellationToken ct)
    {
        if (_ran)
        {
            throw new InvalidOperationException("a fleet runs once; create a new Fleet for another run");
        }

        _ran = true;
        await ConnectAllAsync(ct).ConfigureAwait(false);
        if (Stats.Connected == 0)
        {
            throw new InvalidOperationException(
                $"could not connect any device to the MQTT broker {_options.BrokerHost}:{_options.BrokerPort}: is it running and reachable?");
        }

        if (_options.Start is null)
        {
            Truth.Rebase(DateTimeOffset.UtcNow);
        }

        var startMicros = TruthWriter.Micros(Truth.Start);
        if (_options.TruthPath is { } path)
        {
            _truthWriter = new TruthWriter(path);
            _truthWriter.WriteRun(Truth.Start, _options.Seed, _options.ReplayDirectory is null ? _scenario.Name : "replay:" + _options.ReplayDirectory,
                _options.SampleRate, _devices.Length);
            foreach (var d in _devices)
            {
                _truthWriter.WriteDevice(d.DeviceId, d.Frame.SiteId, d.Frame.PatientId, d.Frame.Bed, d.Cohort,
                    d.Source is ReplayPatient ? "replay" : "synthetic");
            }
        }

        WarmUp(_options.SampleRate);
        using var run = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var t0 = Stopwatch.GetTimestamp();
        var end = _options.Duration is { } duration ? t0 + (long)(duration.TotalSeconds * Stopwatch.Frequency) : long.MaxValue;
        Stats.MarkStarted();
        var loops = _options.SchedulerLoops > 0 ? _options.SchedulerLoops : Environment.ProcessorCount;
        loops = Math.Clamp(loops, 1, _devices.Length);
        var tasks = new List<Task>(loops + 2);
        for (var s = 0; s < loops; s++)
        {
            var share = new List<VirtualDevice>();
            for (var i = s; i < _devices.Length; i += loops)
            {
                share.Add(_devices[i]);
            }

            var devices = share.ToArray();
            tasks.Add(Task.Run(() => RunLoopAsync(devices, t0, end, startMicros, run.Token), CancellationToken.None));
        }

        var faults = StartFaults(run.Token);
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        finally
        {
            Stats.MarkStopped();
            await run.CancelAsync().ConfigureAwait(false);
            await faults.ConfigureAwait(false);
            _truthWriter?.WriteEnd(DateTimeOffset.UtcNow);
            _truthWriter?.Dispose();
            _truthWriter = null;
        }

        await DrainFeedbackAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs the per-frame code paths on a throwaway patient until the JIT has optimised them, so the first second of a large
    /// fleet (every device's first frame falls due in it) is not spent in unoptimised code.
    /// </summary>
    private static void WarmUp(int sampleRate)
    {
        var ecg = new SyntheticEcg(sampleRate, 0);
        var frame = new TelemetryFrame { PatientId = "warm-up", SiteId = "warm-up" };
        var buffer = new byte[TelemetryCodec.HeaderSize + 64 + (2 * sampleRate)];
        var beats = new List<BeatMark>();
        EpisodeKind?[] kinds = [null, EpisodeKind.AtrialFibrillation, EpisodeKind.Pvc, EpisodeKind.VentricularTachycardia, EpisodeKind.MotionNoise];
        for (var i = 0; i < 200; i++)
        {
            beats.Clear();
            ecg.Generate(frame, DateTimeOffset.UnixEpoch, sampleRate, kinds[i % kinds.Length], beats);
            TelemetryCodec.Encode(frame, buffer);
        }
    }

    private async Task ConnectAllAsync(CancellationToken ct)
    {
        using var gate = new SemaphoreSlim(_options.ConnectConcurrency);
        var tasks = new Task[_connections.Length];
        for (var c = 0; c < _connections.Length; c++)
        {
            var connection = _connections[c];
            await gate.WaitAsync(ct).ConfigureAwait(false);
            tasks[c] = ConnectOneAsync(connection, gate, ct);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private static async Task ConnectOneAsync(DeviceConnection connection, SemaphoreSlim gate, CancellationToken ct)
    {
        try
        {
            await connection.ConnectAsync(3, ct).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Waits (at most 2 s) for feedback still in flight when sending stopped.</summary>
    private async Task DrainFeedbackAsync(CancellationToken ct)
    {
        if (!_options.MeasureFeedback)
        {
            return;
        }

        var deadline = Stopwatch.GetTimestamp() + (2 * Stopwatch.Frequency);
        var last = -1L;
        while (Stopwatch.GetTimestamp() < deadline && !ct.IsCancellationRequested)
        {
            var now = Stats.Feedback;
            if (now == last)
            {
                return;
            }

            last = now;
            await Task.Delay(200, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Disconnects every device.</summary>
    public async ValueTask DisposeAsync()
    {
        using var gate = new SemaphoreSlim(Math.Max(_options.ConnectConcurrency, 64));
        var tasks = new Task[_connections.Length];
        for (var c = 0; c < _connections.Length; c++)
        {
            var connection = _connections[c];
            await gate.WaitAsync().ConfigureAwait(false);
            tasks[c] = Task.Run(async () =>
            {
                try
                {
                    await connection.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (DeviceConnection.IsConnectionFault(ex))
                {
                    Log.CloseFailed(_logger, connection.ClientId, ex.Message);
                }
                finally
                {
                    gate.Release();
                }
            });
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        _truthWriter?.Dispose();
    }
}
