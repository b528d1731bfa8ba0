using EdgeHub.Mqtt;

namespace EdgeHub.Simulator;

/// <summary>How a <see cref="Fleet"/> runs: broker, fleet size and rate, what the devices measure, faults, output.</summary>
public sealed class FleetOptions
{
    /// <summary>MQTT broker host.</summary>
    public string BrokerHost { get; init; } = "127.0.0.1";
    /// <summary>MQTT broker port.</summary>
    public int BrokerPort { get; init; } = 1883;
    /// <summary>MQTT protocol version of every device connection.</summary>
    public MqttProtocolVersion ProtocolVersion { get; init; } = MqttProtocolVersion.V500;
    /// <summary>Number of virtual devices.</summary>
    public int Devices { get; init; } = 10;
    /// <summary>Frames per second per device; a frame carries 1/rate seconds of samples (default 1: 250 samples at 250 Hz).</summary>
    public double FramesPerSecond { get; init; } = 1;
    /// <summary>ECG sample rate of every device (Hz).</summary>
    public int SampleRate { get; init; } = 250;
    /// <summary>How long to run; null runs until cancelled.</summary>
    public TimeSpan? Duration { get; init; }
    /// <summary>Scripted episodes; null uses <see cref="Scenario.Default"/>.</summary>
    public Scenario? Scenario { get; init; }
    /// <summary>Folder of WFDB records to replay instead of synthesising (device i plays record i mod count).</summary>
    public string? ReplayDirectory { get; init; }
    /// <summary>Seed of every random choice: the same seed and options give the same signals and the same truth.</summary>
    public int Seed { get; init; } = 1;
    /// <summary>Devices that share one MQTT connection (1 = one connection per device, as real devices do).</summary>
    public int DevicesPerConnection { get; init; } = 1;
    /// <summary>QoS of telemetry publications.</summary>
    public MqttQos Qos { get; init; } = MqttQos.AtMostOnce;
    /// <summary>Subscribe to each device's feedback topic and measure publish→feedback latency.</summary>
    public bool MeasureFeedback { get; init; } = true;
    /// <summary>Ground-truth JSONL file to write, or null for none.</summary>
    public string? TruthPath { get; init; }
    /// <summary>Include every beat in the truth file (large for big fleets; episodes are always written).</summary>
    public bool TruthBeats { get; init; } = true;
    /// <summary>Connections opened concurrently while the fleet comes up (keeps the broker's listen backlog from overflowing).</summary>
    public int ConnectConcurrency { get; init; } = 64;
    /// <summary>Client id prefix; connection k is PREFIX-k.</summary>
    public string ClientIdPrefix { get; init; } = "sim";
    /// <summary>Scheduler loops (each owns a share of the devices); 0 = one per processor.</summary>
    public int SchedulerLoops { get; init; }
    /// <summary>Fault injection.</summary>
    public FaultOptions Faults { get; init; } = new();
    /// <summary>Wall-clock start of the run (time 0 of every schedule); null = when <see cref="Fleet.RunAsync"/> starts.</summary>
    public DateTimeOffset? Start { get; init; }
    /// <summary>TLS to the broker (e.g. trusting a private CA file); null = plain TCP.</summary>
    public MqttTlsOptions? Tls { get; init; }
    /// <summary>
    /// Per-device credentials: when set, each connection logs in with user name = its device id and this password (brokers
    /// with ACLs key %u on it). Needs one device per connection.
    /// </summary>
    public Func<string, string>? DevicePassword { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad setting.</summary>
    public void Validate()
    {
        static void Check(bool ok, string message)
        {
            if (!ok)
            {
                throw new ArgumentException(message);
            }
        }

        Check(Devices is >= 1 and <= 1_000_000, $"devices must be 1-1,000,000 (got {Devices})");
        Check(DevicePassword is null || DevicesPerConnection == 1, "per-device credentials need one device per connection (DevicesPerConnection = 1)");
        Check(SampleRate is >= 125 and <= 1000, $"sample rate must be 125-1000 Hz (got {SampleRate})");
        Check(FramesPerSecond > 0 && FramesPerSecond <= SampleRate / 2.0 && double.IsFinite(FramesPerSecond),
            $"rate must be > 0 and at most {SampleRate / 2} frames/s so a frame has at least 2 samples (got {FramesPerSecond})");
        Check(SampleRate / FramesPerSecond <= Contracts.TelemetryFrame.MaxSamples,
            $"rate {FramesPerSecond} frames/s makes frames of {SampleRate / FramesPerSecond:0} samples; the most is {Contracts.TelemetryFrame.MaxSamples}");
        Check(BrokerPort is > 0 and <= 65535, $"broker port must be 1-65535 (got {BrokerPort})");
        Check(DevicesPerConnection >= 1, $"devices per connection must be >= 1 (got {DevicesPerConnection})");
        Check(ConnectConcurrency >= 1, "connect concurrency must be >= 1");
        Check(Duration is null || Duration.Value > TimeSpan.Zero, "duration must be positive");
        Faults.Validate();
    }
}

/// <summary>Faults the fleet injects, all off by default.</summary>
public sealed class FaultOptions
{
    /// <summary>Every this many seconds, <see cref="DisconnectFraction"/> of the connections drop and reconnect (0 = never).</summary>
    public double DisconnectStormEverySeconds { get; init; }
    /// <summary>Share of connections a storm drops.</summary>
    public double DisconnectFraction { get; init; } = 0.2;
    /// <summary>Dropped connections come back after a random 0–this many seconds; devices queue frames meanwhile.</summary>
    public double ReconnectWithinSeconds { get; init; } = 3;
    /// <summary>Every this many seconds, <see cref="BurstFraction"/> of devices hold their frames and then send them at once (0 = never).</summary>
    public double BurstEverySeconds { get; init; }
    /// <summary>Share of devices a burst affects.</summary>
    public double BurstFraction { get; init; } = 0.1;
    /// <summary>How long a bursting device holds its frames.</summary>
    public double BurstHoldSeconds { get; init; } = 5;
    /// <summary>Each device's clock is off by a random amount up to ± this many seconds.</summary>
    public double ClockSkewSeconds { get; init; }
    /// <summary>Each device's clock drifts by up to ± this many parts per million.</summary>
    public double ClockDriftPpm { get; init; }
    /// <summary>Share of frames replaced by a malformed payload (truncated, bad magic, bad lengths, garbage).</summary>
    public double MalformedRate { get; init; }
    /// <summary>Share of frames sent twice (same sequence number).</summary>
    public double DuplicateRate { get; init; }

    /// <summary>True when any fault is on.</summary>
    public bool Any => DisconnectStormEverySeconds > 0 || BurstEverySeconds > 0 || ClockSkewSeconds > 0 || ClockDriftPpm > 0
        || MalformedRate > 0 || DuplicateRate > 0;

    internal void Validate()
    {
        static void Fraction(double v, string name)
        {
            if (v is < 0 or > 1 || double.IsNaN(v))
            {
                throw new ArgumentException($"{name} must be between 0 and 1 (got {v})");
            }
        }

        Fraction(DisconnectFraction, "disconnect fraction");
        Fraction(BurstFraction, "burst fraction");
        Fraction(MalformedRate, "malformed rate");
        Fraction(DuplicateRate, "duplicate rate");
        if (DisconnectStormEverySeconds < 0 || BurstEverySeconds < 0 || BurstHoldSeconds < 0 || ReconnectWithinSeconds < 0
            || ClockSkewSeconds < 0 || ClockDriftPpm < 0)
        {
            throw new ArgumentException("fault periods, hold times, skew and drift must not be negative");
        }
    }
}
