using EdgeHub.Contracts;

namespace EdgeHub.Edge;

/// <summary>
/// Settings of one edge agent, bound from the "Edge" section of appsettings.json / environment (EDGEHUB_Edge__EdgeId=...)
/// / --config FILE. <see cref="Validate"/> turns every mistake into a sentence that names the setting and what to do.
/// </summary>
public sealed class EdgeOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Edge";

    /// <summary>This edge's id (topic level, delta manifests).</summary>
    public string EdgeId { get; set; } = "edge-1";

    /// <summary>Cloud region whose hub receives this edge's deltas and whose models it runs.</summary>
    public string Region { get; set; } = "eu";

    /// <summary>Sites (wards) this edge serves; empty = any site a device reports.</summary>
    public List<string> Sites { get; set; } = [];

    /// <summary>Data directory (SQLite store, model cache). Defaults to $EDGEHUB_DATA/edge-{EdgeId} or ./data/edge-{EdgeId}.</summary>
    public string? DataDirectory { get; set; }

    /// <summary>Where devices publish telemetry.</summary>
    public BrokerOptions DeviceBroker { get; set; } = new() { Embedded = true, Port = 1883 };

    /// <summary>Uplink to the hub (deltas, acks, model assignments, status). Empty host = the device broker.</summary>
    public BrokerOptions HubBroker { get; set; } = new();

    /// <summary>Disk space the store may use (SQLite pages in use), in megabytes.</summary>
    public double DiskQuotaMb { get; set; } = 1024;

    /// <summary>PEM of the hub's ECDSA P-256 public key (or use <see cref="HubPublicKeyFile"/>). Without one, models are refused.</summary>
    public string? HubPublicKeyPem { get; set; }

    /// <summary>File holding the hub public key PEM.</summary>
    public string? HubPublicKeyFile { get; set; }

    /// <summary>Regional pseudonymisation key (hex or base64, ≥ 16 bytes).</summary>
    public string PseudonymKey { get; set; } = "";

    /// <summary>Delta sealing policy.</summary>
    public SealingOptions Sealing { get; set; } = new();

    /// <summary>Alert hysteresis.</summary>
    public AlertOptions Alerts { get; set; } = new();

    /// <summary>Inference batching.</summary>
    public InferenceOptions Inference { get; set; } = new();

    /// <summary>Base URL of the hub's HTTP API, for model downloads whose assignment Url is relative.</summary>
    public string? HubUrl { get; set; }

    /// <summary>
    /// The hub API token (role "edge") the edge presents when it downloads a model from <see cref="HubUrl"/> (models above the
    /// hub's inline limit travel by Url). Sent only to HubUrl's origin.
    /// </summary>
    public string? HubApiToken { get; set; }

    /// <summary>CA certificate (PEM) that signed the hub's HTTPS certificate, for a private CA; null = the system store only.</summary>
    public string? HubCaFile { get; set; }

    /// <summary>Clinician page access: tokens per clinician and site (none = the page and its API refuse everyone).</summary>
    public ClinicianOptions Clinician { get; set; } = new();

    /// <summary>
    /// Secret of the edge's own operator actions (<c>POST /api/model/rollback</c>, sent as <c>Authorization: Bearer …</c>).
    /// Unset = those actions are refused here (403) and made through the hub (<c>edgehub ctl rollouts abort</c>, pin).
    /// </summary>
    public string? OperatorToken { get; set; }

    /// <summary>Seconds between status messages.</summary>
    public double StatusIntervalSeconds { get; set; } = 5;

    /// <summary>Devices tracked at most (the least recently seen is evicted beyond it): bounds memory.</summary>
    public int MaxDevices { get; set; } = 20_000;

    /// <summary>Seconds without frames after which a device's state is dropped.</summary>
    public double DeviceIdleSeconds { get; set; } = 600;

    /// <summary>Largest telemetry payload accepted, in bytes.</summary>
    public int MaxFrameBytes { get; set; } = 16 * 1024;

    /// <summary>How far a frame's timestamp may be ahead of the edge clock before it is refused, in seconds.</summary>
    public double MaxClockSkewSeconds { get; set; } = 300;

    /// <summary>The resolved data directory.</summary>
    public string ResolveDataDirectory()
    {
        if (!string.IsNullOrWhiteSpace(DataDirectory))
        {
            return Path.GetFullPath(DataDirectory);
        }

        var root = Environment.GetEnvironmentVariable("EDGEHUB_DATA");
        return Path.GetFullPath(Path.Combine(string.IsNullOrEmpty(root) ? "data" : root, "edge-" + EdgeId));
    }

    /// <summary>The hub public key PEM from <see cref="HubPublicKeyPem"/> or <see cref="HubPublicKeyFile"/>, or null.</summary>
    public string? ResolveHubPublicKey()
    {
        if (!string.IsNullOrWhiteSpace(HubPublicKeyPem))
        {
            return HubPublicKeyPem;
        }

        if (string.IsNullOrWhiteSpace(HubPublicKeyFile))
        {
            return null;
        }

        if (!File.Exists(HubPublicKeyFile))
        {
            throw new EdgeConfigurationException($"Edge:HubPublicKeyFile '{HubPublicKeyFile}' does not exist: point it at the hub's public key PEM");
        }

        return File.ReadAllText(HubPublicKeyFile);
    }

    /// <summary>Throws <see cref="EdgeConfigurationException"/> naming the first wrong setting.</summary>
    public void Validate()
    {
        Check(Ids.IsValid(EdgeId), $"Edge:EdgeId '{EdgeId}' is not a valid id (1-64 of A-Z a-z 0-9 . _ -)");
        Check(Ids.IsValid(Region), $"Edge:Region '{Region}' is not a valid id (1-64 of A-Z a-z 0-9 . _ -)");
        foreach (var site in Sites)
        {
            Check(Ids.IsValid(site), $"Edge:Sites entry '{site}' is not a valid id");
        }

        Check(!string.IsNullOrEmpty(PseudonymKey),
            "Edge:PseudonymKey is empty: set the region's pseudonymisation key (hex or base64, at least 16 bytes)");
        try
        {
            _ = Pseudonymizer.FromSetting(PseudonymKey);
        }
        catch (ArgumentException ex)
        {
            throw new EdgeConfigurationException($"Edge:PseudonymKey: {ex.Message}");
        }

        Check(DiskQuotaMb > 0, $"Edge:DiskQuotaMb must be positive (was {DiskQuotaMb})");
        Check(StatusIntervalSeconds > 0, "Edge:StatusIntervalSeconds must be positive");
        Check(MaxDevices > 0, "Edge:MaxDevices must be positive");
        Check(MaxFrameBytes >= TelemetryCodec.HeaderSize, $"Edge:MaxFrameBytes must be at least {TelemetryCodec.HeaderSize}");
        DeviceBroker.Validate("Edge:DeviceBroker", allowEmpty: false);
        HubBroker.Validate("Edge:HubBroker", allowEmpty: true);
        Sealing.Validate();
        Alerts.Validate();
        Inference.Validate();
        Clinician.Validate();
        Check(OperatorToken is null || (OperatorToken.Length >= ClinicianOptions.MinTokenLength && !OperatorToken.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))),
            $"Edge:OperatorToken must be at least {ClinicianOptions.MinTokenLength} characters without spaces or control characters (e.g. `openssl rand -base64 24`), or unset");
        Check(OperatorToken is null || Clinician.Tokens.All(t => !string.Equals(t.Token, OperatorToken, StringComparison.Ordinal)),
            "Edge:OperatorToken is also a clinician's token: operator actions need their own secret");
        Check(string.IsNullOrWhiteSpace(HubUrl) || (Uri.TryCreate(HubUrl, UriKind.Absolute, out var hub) && hub.Scheme is "http" or "https"),
            $"Edge:HubUrl '{HubUrl}' is not an absolute http(s) URL (e.g. https://hub.example:8443)");
        Check(string.IsNullOrWhiteSpace(HubApiToken) || !string.IsNullOrWhiteSpace(HubUrl),
            "Edge:HubApiToken is set but Edge:HubUrl is empty: the token is only sent to the hub's own URL, so set Edge:HubUrl");
        Check(string.IsNullOrWhiteSpace(HubCaFile) || File.Exists(HubCaFile),
            $"Edge:HubCaFile '{HubCaFile}' does not exist: point it at the PEM of the CA that signed the hub's HTTPS certificate");
    }

    internal static void Check(bool ok, string message)
    {
        if (!ok)
        {
            throw new EdgeConfigurationException(message);
        }
    }
}

/// <summary>
/// One MQTT broker connection (or the embedded broker). For the embedded broker, the listener settings (ports, TLS certificate,
/// password and ACL files) secure what devices see, and Username/Password/CaFile are what the agent itself connects with.
/// </summary>
public sealed class BrokerOptions : EdgeHub.Mqtt.MqttListenerSettings
{
    /// <summary>Run the embedded broker in this process and connect to it (device side only).</summary>
    public bool Embedded { get; set; }

    /// <summary>Host of an external broker.</summary>
    public string? Host { get; set; }

    /// <summary>Address the embedded broker binds (default loopback... set 0.0.0.0 to accept devices on the network).</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>Accept any broker certificate (tests only).</summary>
    public bool AllowUntrustedCertificates { get; set; }

    /// <summary>True when no broker is configured (hub uplink then reuses the device broker).</summary>
    public bool IsEmpty => !Embedded && string.IsNullOrWhiteSpace(Host);

    /// <inheritdoc />
    protected override bool IsEmbedded => Embedded;

    /// <summary>
    /// Listener settings of the embedded broker (the agent adds its own capacity limits). Files are checked here so that a
    /// missing certificate or password file fails start-up with the setting's name instead of later at the first CONNECT.
    /// </summary>
    public EdgeHub.Mqtt.MqttBrokerOptions ToEmbeddedBrokerOptions(string name = "Edge:DeviceBroker")
    {
        Validate(name, allowEmpty: false);
        try
        {
            return ToBrokerOptions(System.Net.IPAddress.Parse(BindAddress));
        }
        catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException)
        {
            throw new EdgeConfigurationException($"{name}:CertificateFile/KeyFile: {ex.Message}", ex);
        }
    }

    /// <summary>Client TLS settings for the agent's own connection to <paramref name="host"/>, or null for plain TCP.</summary>
    public override EdgeHub.Mqtt.MqttTlsOptions? ClientTls(string host)
    {
        var tls = base.ClientTls(host);
        if (tls is not null)
        {
            tls.AllowUntrustedCertificates = AllowUntrustedCertificates;
        }

        return tls;
    }

    internal void Validate(string name, bool allowEmpty)
    {
        if (IsEmpty)
        {
            EdgeOptions.Check(allowEmpty, $"{name}: set Embedded=true or a Host (and Port)");
            return;
        }

        EdgeOptions.Check(Port is >= -1 and <= 65535, $"{name}:Port {Port} is outside 0-65535 (-1 = no plain listener)");
        EdgeOptions.Check(Embedded || Port > 0, $"{name}:Port must be set for an external broker");
        if (!Embedded)
        {
            return;
        }

        EdgeOptions.Check(TlsPort is >= -1 and <= 65535, $"{name}:TlsPort {TlsPort} is outside 0-65535 (-1 = no TLS listener)");
        EdgeOptions.Check(Port >= 0 || TlsPort >= 0, $"{name}: Port and TlsPort are both -1: the embedded broker needs at least one listener");
        EdgeOptions.Check(System.Net.IPAddress.TryParse(BindAddress, out _), $"{name}:BindAddress '{BindAddress}' is not an IP address (e.g. 127.0.0.1 or 0.0.0.0)");
        if (TlsPort >= 0)
        {
            EdgeOptions.Check(!string.IsNullOrWhiteSpace(CertificateFile) && !string.IsNullOrWhiteSpace(KeyFile),
                $"{name}:TlsPort is set but CertificateFile/KeyFile are not: give the PEM certificate and key of the TLS listener");
        }

        EdgeOptions.Check(PasswordFile is null || File.Exists(PasswordFile),
            $"{name}:PasswordFile '{PasswordFile}' does not exist: create it with mosquitto_passwd (PBKDF2 $7$ lines)");
        EdgeOptions.Check(AclFile is null || File.Exists(AclFile), $"{name}:AclFile '{AclFile}' does not exist");
        EdgeOptions.Check(AllowAnonymous || PasswordFile is not null,
            $"{name}:AllowAnonymous is false but no PasswordFile is set: nobody could log in");
    }
}

/// <summary>When rows are sealed into a delta.</summary>
public sealed class SealingOptions
{
    /// <summary>Seal once this many rows are pending.</summary>
    public int MaxRows { get; set; } = 5000;

    /// <summary>Seal pending rows at least this often, in seconds.</summary>
    public double MaxSeconds { get; set; } = 30;

    /// <summary>Sealed deltas waiting for an ack beyond which sealing pauses (rows stay in the store, under the quota policy).</summary>
    public int MaxUnackedDeltas { get; set; } = 64;

    /// <summary>Deltas sent before waiting for acks.</summary>
    public int InFlight { get; set; } = 4;

    /// <summary>First resend delay in seconds (doubles up to <see cref="MaxRetrySeconds"/>).</summary>
    public double RetrySeconds { get; set; } = 2;

    /// <summary>Longest resend delay in seconds.</summary>
    public double MaxRetrySeconds { get; set; } = 60;

    /// <summary>Parquet codec of deltas: None, Snappy, Gzip, Brotli.</summary>
    public string Compression { get; set; } = "Snappy";

    internal void Validate()
    {
        EdgeOptions.Check(MaxRows > 0, "Edge:Sealing:MaxRows must be positive");
        EdgeOptions.Check(MaxSeconds > 0, "Edge:Sealing:MaxSeconds must be positive");
        EdgeOptions.Check(MaxUnackedDeltas > 0, "Edge:Sealing:MaxUnackedDeltas must be positive");
        EdgeOptions.Check(InFlight > 0, "Edge:Sealing:InFlight must be positive");
        EdgeOptions.Check(RetrySeconds > 0 && MaxRetrySeconds >= RetrySeconds, "Edge:Sealing:RetrySeconds must be positive and ≤ MaxRetrySeconds");
        EdgeOptions.Check(Enum.TryParse<EdgeHub.Parquet.ParquetCompression>(Compression, true, out _),
            $"Edge:Sealing:Compression '{Compression}' is not one of None, Snappy, Gzip, Brotli");
    }
}

/// <summary>Alert hysteresis: raise after k windows above, clear after m below.</summary>
public sealed class AlertOptions
{
    /// <summary>Model probability at or above which a window counts towards raising.</summary>
    public float RaiseProbability { get; set; } = 0.6f;

    /// <summary>Model probability below which a window counts towards clearing (lower than raise: hysteresis).</summary>
    public float ClearProbability { get; set; } = 0.4f;

    /// <summary>Consecutive windows above before an alert is raised.</summary>
    public int RaiseAfter { get; set; } = 3;

    /// <summary>Consecutive windows below before an alert clears.</summary>
    public int ClearAfter { get; set; } = 5;

    /// <summary>Seconds between "updated" messages of one active alert (severity changes are sent at once).</summary>
    public double UpdateIntervalSeconds { get; set; } = 30;

    /// <summary>Seconds of strip attached to a raised alert.</summary>
    public int StripSeconds { get; set; } = 6;

    internal void Validate()
    {
        EdgeOptions.Check(RaiseProbability is > 0 and <= 1, "Edge:Alerts:RaiseProbability must be in (0, 1]");
        EdgeOptions.Check(ClearProbability >= 0 && ClearProbability <= RaiseProbability,
            "Edge:Alerts:ClearProbability must be in [0, RaiseProbability]");
        EdgeOptions.Check(RaiseAfter >= 1 && ClearAfter >= 1, "Edge:Alerts:RaiseAfter and ClearAfter must be at least 1");
        EdgeOptions.Check(StripSeconds is >= 1 and <= FeatureSchema.WindowSeconds, $"Edge:Alerts:StripSeconds must be 1-{FeatureSchema.WindowSeconds}");
    }
}

/// <summary>Inference batching.</summary>
public sealed class InferenceOptions
{
    /// <summary>Most windows per model run.</summary>
    public int MaxBatch { get; set; } = 256;

    /// <summary>
    /// Frames waiting for inference at most: about 0.8 s of work at 20,000 frames/s. Beyond it QoS 1 frames wait (back-pressure)
    /// and QoS 0 frames are shed and counted; a longer queue would only add latency and memory, not capacity.
    /// </summary>
    public int QueueCapacity { get; set; } = 16_384;

    internal void Validate()
    {
        EdgeOptions.Check(MaxBatch is >= 1 and <= 4096, "Edge:Inference:MaxBatch must be 1-4096");
        EdgeOptions.Check(QueueCapacity >= MaxBatch, "Edge:Inference:QueueCapacity must be at least MaxBatch");
    }
}

/// <summary>A setting is wrong; the message names it and says what to do.</summary>
public sealed class EdgeConfigurationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EdgeConfigurationException(string message) : base(message) { }

    /// <summary>Creates the exception.</summary>
    public EdgeConfigurationException() { }

    /// <summary>Creates the exception.</summary>
    public EdgeConfigurationException(string message, Exception inner) : base(message, inner) { }
}
