namespace EdgeHub.Hub.Options;

/// <summary>
/// Everything a hub node needs. Defaults give a working single node with no settings file at all: data under
/// <c>EDGEHUB_DATA</c> (or ./data/hub), SQLite catalog in the data root, embedded MQTT broker on port 1883.
/// </summary>
public sealed class HubOptions
{
    /// <summary>Name of this node in acks, logs and commit metadata; defaults to the machine name + process id.</summary>
    public string NodeId { get; set; } = "";

    /// <summary>Root folder for datasets, models, the SQLite catalog and the signing key.</summary>
    public string DataRoot { get; set; } = "";

    /// <summary>Regions this hub serves; each gets its own dataset. Regions can also be added through the API.</summary>
    public List<string> Regions { get; set; } = ["na", "eu"];

    /// <summary>Edges registered at start-up (edge id → region); the API and auto-registration add more.</summary>
    public Dictionary<string, string> Edges { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Register an unknown edge in the region its first status message names. Convenient for demos; in production
    /// leave it off and register edges through the API so that a misconfigured edge cannot choose its own region.
    /// </summary>
    public bool AutoRegisterEdges { get; set; }

    /// <summary>Catalog settings.</summary>
    public CatalogOptions Catalog { get; set; } = new();

    /// <summary>MQTT settings.</summary>
    public BrokerOptions Broker { get; set; } = new();

    /// <summary>API settings.</summary>
    public ApiOptions Api { get; set; } = new();

    /// <summary>HTTPS for the HTTP listener (API, dashboard, model downloads); off unless a certificate is given.</summary>
    public HttpsOptions Https { get; set; } = new();

    /// <summary>Learning and rollout settings.</summary>
    public LearningOptions Learning { get; set; } = new();

    /// <summary>Largest delta accepted, in bytes (MQTT and HTTP).</summary>
    public int MaxDeltaBytes { get; set; } = 64 * 1024 * 1024;

    /// <summary>Path of the PEM file holding the hub's ECDSA P-256 signing key; created on first start when missing.</summary>
    public string SigningKeyPath { get; set; } = "";

    /// <summary>Fills derived defaults (node id, data root, paths) and validates; throws with a specific reason.</summary>
    public HubOptions Resolve()
    {
        if (string.IsNullOrWhiteSpace(NodeId))
        {
            NodeId = $"{Environment.MachineName}-{Environment.ProcessId}";
        }

        if (string.IsNullOrWhiteSpace(DataRoot))
        {
            DataRoot = Environment.GetEnvironmentVariable("EDGEHUB_DATA") is { Length: > 0 } env
                ? env
                : Path.Combine(Directory.GetCurrentDirectory(), "data", "hub");
        }

        DataRoot = Path.GetFullPath(DataRoot);
        if (string.IsNullOrWhiteSpace(SigningKeyPath))
        {
            SigningKeyPath = Path.Combine(DataRoot, "keys", "hub-signing.pem");
        }

        foreach (var region in Regions)
        {
            Contracts.Ids.Validate(region, "region in settings 'Regions'");
        }

        foreach (var (edge, region) in Edges)
        {
            Contracts.Ids.Validate(edge, "edge id in settings 'Edges'");
            Contracts.Ids.Validate(region, $"region of edge '{edge}' in settings 'Edges'");
        }

        Catalog.Validate();
        Broker.Validate();
        Api.Validate();
        Https.Validate();
        if (MaxDeltaBytes <= 0)
        {
            throw new ArgumentException($"settings 'MaxDeltaBytes' must be positive (got {MaxDeltaBytes})");
        }

        return this;
    }

    /// <summary>Folder of the regional datasets.</summary>
    public string DatasetsRoot => Path.Combine(DataRoot, "datasets");

    /// <summary>Folder of the registered ONNX models.</summary>
    public string ModelsRoot => Path.Combine(DataRoot, "models");
}

/// <summary>Where the catalog lives.</summary>
public sealed class CatalogOptions
{
    /// <summary>"sqlite" (default, one node) or "postgres" (several nodes side by side).</summary>
    public string Provider { get; set; } = "sqlite";

    /// <summary>SQLite: file path or full connection string (default: DATAROOT/catalog.db). PostgreSQL: an Npgsql connection string.</summary>
    public string ConnectionString { get; set; } = "";

    internal void Validate()
    {
        if (Provider is not ("sqlite" or "postgres"))
        {
            throw new ArgumentException($"settings 'Catalog:Provider' is '{Provider}': use 'sqlite' (one node) or 'postgres' (several nodes)");
        }

        if (Provider == "postgres" && string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("settings 'Catalog:Provider' is 'postgres' but 'Catalog:ConnectionString' is empty: give an Npgsql connection string, e.g. Host=db;Username=hub;Password=...;Database=edgehub");
        }
    }
}

/// <summary>
/// MQTT broker settings. In embedded mode the listener settings (ports, TLS certificate, password and ACL files) secure what
/// edges see, and Username/Password/CaFile are what this node itself connects with; in external mode only the latter apply.
/// </summary>
public sealed class BrokerOptions : EdgeHub.Mqtt.MqttListenerSettings
{
    /// <summary>"embedded" (default: the hub runs its own broker) or "external" (connect to Host:Port, e.g. mosquitto shared by several nodes).</summary>
    public string Mode { get; set; } = "embedded";

    /// <summary>External broker host.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <inheritdoc />
    protected override bool IsEmbedded => Mode == "embedded";

    /// <summary>Listener settings of the embedded broker; <paramref name="maxPacketSize"/> must hold the largest delta.</summary>
    public EdgeHub.Mqtt.MqttBrokerOptions ToEmbeddedBrokerOptions(int maxPacketSize)
    {
        try
        {
            var options = ToBrokerOptions(System.Net.IPAddress.Any);
            options.MaxPacketSize = maxPacketSize;
            return options;
        }
        catch (System.Security.Cryptography.CryptographicException ex)
        {
            throw new ArgumentException($"settings 'Broker:CertificateFile'/'Broker:KeyFile' do not hold a PEM certificate and its key: {ex.Message}", ex);
        }
    }

    internal void Validate()
    {
        if (Mode is not ("embedded" or "external"))
        {
            throw new ArgumentException($"settings 'Broker:Mode' is '{Mode}': use 'embedded' or 'external'");
        }

        if (Port is < -1 or > 65535 || (Port < 0 && Mode == "external"))
        {
            throw new ArgumentException($"settings 'Broker:Port' is {Port}: use 0-65535 (-1 = embedded broker without a plain listener)");
        }

        if (Mode != "embedded")
        {
            return;
        }

        if (TlsPort is < -1 or > 65535)
        {
            throw new ArgumentException($"settings 'Broker:TlsPort' is {TlsPort}: use 0-65535, or -1 for no TLS listener");
        }

        if (Port < 0 && TlsPort < 0)
        {
            throw new ArgumentException("settings 'Broker:Port' and 'Broker:TlsPort' are both -1: the embedded broker needs at least one listener");
        }

        if (TlsPort >= 0 && (string.IsNullOrWhiteSpace(CertificateFile) || string.IsNullOrWhiteSpace(KeyFile)))
        {
            throw new ArgumentException("settings 'Broker:TlsPort' is set but 'Broker:CertificateFile'/'Broker:KeyFile' are not: give the PEM certificate and key of the TLS listener");
        }

        CheckFile(CertificateFile, "Broker:CertificateFile");
        CheckFile(KeyFile, "Broker:KeyFile");
        CheckFile(PasswordFile, "Broker:PasswordFile");
        CheckFile(AclFile, "Broker:AclFile");
        if (!AllowAnonymous && PasswordFile is null)
        {
            throw new ArgumentException("settings 'Broker:AllowAnonymous' is false but 'Broker:PasswordFile' is not set: nobody could log in");
        }
    }

    internal static void CheckFile(string? path, string setting)
    {
        if (path is not null && !File.Exists(path))
        {
            throw new ArgumentException($"settings '{setting}' is '{path}', which does not exist");
        }
    }
}

/// <summary>REST API settings.</summary>
public sealed class ApiOptions
{
    /// <summary>Bearer tokens: token → role ("operator", "viewer" or "edge").</summary>
    public Dictionary<string, string> Tokens { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Base URL edges use to download models (e.g. http://hub:8080); when empty the ONNX bytes travel inside the assignment.</summary>
    public string PublicUrl { get; set; } = "";

    internal void Validate()
    {
        foreach (var (token, role) in Tokens)
        {
            if (token.Length < 16)
            {
                throw new ArgumentException("settings 'Api:Tokens' holds a token shorter than 16 characters: use long random tokens");
            }

            if (role is not (Roles.Operator or Roles.Viewer or Roles.Edge))
            {
                throw new ArgumentException($"settings 'Api:Tokens' gives role '{role}': use '{Roles.Operator}', '{Roles.Viewer}' or '{Roles.Edge}'");
            }
        }
    }
}

/// <summary>The roles a bearer token can carry.</summary>
public static class Roles
{
    /// <summary>May read and change everything.</summary>
    public const string Operator = "operator";
    /// <summary>May read everything, change nothing.</summary>
    public const string Viewer = "viewer";
    /// <summary>An edge: may upload deltas and download models.</summary>
    public const string Edge = "edge";
}
