using System.Collections.Concurrent;
using System.Text.Json;
using EdgeHub.Contracts;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Edge.Models;

/// <summary>
/// Owns the edge's models: takes assignments (retained region / edge topics, edge-specific wins), fetches and verifies the
/// bytes, loads them, and hands them to the inference thread, which applies every change between two batches — so a swap
/// neither drops nor repeats a window. A candidate shadow-runs beside the current model for the assignment's number of
/// windows (agreement reported in status), then replaces it; the replaced model stays as "previous" for rollback, which
/// happens on command (<see cref="RequestRollback"/>, or an assignment naming the previous version) or when the current
/// model fails to run. The current and previous models are persisted so a restart serves the same model.
/// </summary>
public sealed partial class ModelManager : IDisposable
{
    private readonly ModelVerifier _verifier;
    private readonly HttpClient _http;
    private readonly string _directory;
    private readonly ILogger _logger;
    private readonly int _maxBatch;
    private readonly string _edgeId;
    private readonly Uri? _hubBase;
    private readonly ConcurrentQueue<Command> _commands = new();
    private readonly SemaphoreSlim _installGate = new(1, 1);
    private readonly ConcurrentDictionary<string, string> _refused = new(StringComparer.Ordinal);
    private ModelAssignment? _regionAssignment;
    private ModelAssignment? _edgeAssignment;

    // Owned by the inference thread (ApplyPending, ReportShadow, OnRunFailure), which alone publishes _slots from them.
    private LoadedModel? _current;
    private LoadedModel? _candidate;
    private LoadedModel? _previous;
    private int _shadowTarget;
    private long _shadowWindows;
    private long _shadowAgreements;
    private string? _shadowVersion;

    // Read from any thread: one immutable snapshot, so nobody sees a swap half done (a new current beside the old previous).
    private volatile ModelSlots _slots = ModelSlots.Empty;
    // An install queued for the inference thread and not applied yet (set under the install gate, cleared when applied).
    private volatile string? _queuedVersion;
    private volatile ModelError? _lastError;

    /// <summary>Creates the manager; models persist under <paramref name="directory"/>.</summary>
    public ModelManager(string edgeId, ModelVerifier verifier, HttpClient http, string directory, int maxBatch, ILogger logger, string? hubUrl = null)
    {
        _hubBase = string.IsNullOrWhiteSpace(hubUrl) ? null : new Uri(hubUrl.EndsWith('/') ? hubUrl : hubUrl + "/", UriKind.Absolute);
        _edgeId = edgeId;
        _verifier = verifier ?? throw new ArgumentNullException(nameof(verifier));
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _directory = directory;
        _maxBatch = maxBatch;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        Directory.CreateDirectory(directory);
    }

    /// <summary>The serving, shadow and rollback models with the shadow run, as one consistent snapshot.</summary>
    public ModelSlots Slots => _slots;

    /// <summary>Version of the model serving, or null (safety net only).</summary>
    public string? CurrentVersion => _slots.Current;

    /// <summary>Version in shadow, or null.</summary>
    public string? CandidateVersion => _slots.Candidate;

    /// <summary>Version kept for rollback, or null.</summary>
    public string? PreviousVersion => _slots.Previous;

    /// <summary>Last refusal or failure, for status.</summary>
    public string? LastError => _lastError?.Message;

    /// <summary>The model version <see cref="LastError"/> concerns, or null when it concerns no particular model (e.g. bad JSON).</summary>
    public string? LastErrorVersion => _lastError?.Version;

    /// <summary>When <see cref="LastError"/> happened.</summary>
    public DateTimeOffset? LastErrorAt => _lastError?.At;

    /// <summary>The model of the current or last shadow run (kept after it was promoted or dropped), or null.</summary>
    public string? ShadowVersion => _slots.Shadow?.Version;

    /// <summary>Windows compared in the current or last shadow run.</summary>
    public long ShadowWindows => _slots.Shadow?.Windows ?? 0;

    /// <summary>Agreement of the (last) shadow run: share of windows where candidate and current chose the same class.</summary>
    public double? ShadowAgreement => _slots.Shadow?.Agreement;

    /// <summary>Increments whenever the serving model changes (tests wait on it).</summary>
    public long Generation => _slots.Generation;

    /// <summary>Raised after the serving model changed: (new version or null, reason).</summary>
    public event Action<string?, string>? Swapped;

    /// <summary>Reloads the persisted current and previous models (re-verified). Call before traffic starts.</summary>
    public void LoadPersisted()
    {
        foreach (var slot in new[] { "previous", "current" })
        {
            var json = Path.Combine(_directory, slot + ".json");
            var onnx = Path.Combine(_directory, slot + ".onnx");
            if (!File.Exists(json) || !File.Exists(onnx))
            {
                continue;
            }

            try
            {
                var assignment = JsonSerializer.Deserialize(File.ReadAllText(json), ContractsJson.Default.ModelAssignment)
                    ?? throw new ModelRejectedException($"{json} is empty");
                var bytes = File.ReadAllBytes(onnx);
                _verifier.Verify(assignment, bytes);
                var model = LoadedModel.Load(assignment, bytes, _maxBatch);
                Enqueue(new Command(slot == "current" ? CommandKind.Install : CommandKind.SetPrevious, model, 0, "restored after restart"));
                _logger.LogInformation("restored {Slot} model {Version} from {Dir}", slot, assignment.ModelVersion, _directory);
            }
            catch (Exception ex) when (ex is ModelRejectedException or JsonException or IOException)
            {
                SetError($"persisted {slot} model not restored: {ex.Message}", null);
                _logger.LogError("persisted {Slot} model not restored: {Message}", slot, ex.Message);
            }
        }
    }

    /// <summary>Handles a retained assignment payload from the region topic (<paramref name="edgeSpecific"/> false) or the edge topic.</summary>
    public Task OnAssignmentAsync(ReadOnlyMemory<byte> payload, bool edgeSpecific, CancellationToken ct)
    {
        ModelAssignment? assignment = null;
        if (!payload.IsEmpty)
        {
            try
            {
                assignment = JsonSerializer.Deserialize(payload.Span, ContractsJson.Default.ModelAssignment);
            }
            catch (JsonException ex)
            {
                SetError($"model assignment is not valid JSON: {ex.Message}", null);
                _logger.LogError("model assignment on the {Scope} topic refused: not valid JSON ({Message})", edgeSpecific ? "edge" : "region", ex.Message);
                return Task.CompletedTask;
            }
        }

        if (edgeSpecific)
        {
            _edgeAssignment = assignment; // empty retained payload clears the edge-specific pin: the region's applies again
        }
        else
        {
            _regionAssignment = assignment;
        }

        var effective = _edgeAssignment ?? _regionAssignment;
        // Selection happens here, in arrival order; the download and ORT load run off the caller's (MQTT dispatcher's) thread.
        return effective is null ? Task.CompletedTask : Task.Run(() => InstallAsync(effective, ct), ct);
    }

    /// <summary>
    /// Fetches (assignment bytes or HTTP), verifies and loads <paramref name="assignment"/>, then queues it for the inference
    /// thread: shadow first when it says so and a model is serving, else swap at once. Returns false when refused.
    /// </summary>
    public async Task<bool> InstallAsync(ModelAssignment assignment, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(assignment);
        await _installGate.WaitAsync(ct);
        try
        {
            var version = assignment.ModelVersion;
            var slots = _slots;
            var candidate = slots.Candidate ?? _queuedVersion;
            if (version == slots.Current && candidate is { } shadowing)
            {
                // The hub assigns the serving model again while a candidate shadows: the candidate's rollout was rolled back.
                Enqueue(new Command(CommandKind.Rollback, null, 0, $"assignment names the serving version {version}; candidate {shadowing} dropped", version));
                return true;
            }

            if (version == slots.Current || version == candidate)
            {
                return true;
            }

            if (version == slots.Previous)
            {
                // The hub assigns the previous version back: that is a rollback; no download needed.
                Enqueue(new Command(CommandKind.Rollback, null, 0, $"assignment names previous version {version}", version));
                return true;
            }

            if (_refused.TryGetValue(version + "/" + assignment.Sha256, out var why))
            {
                _logger.LogDebug("model {Version} was refused before: {Why}", version, why);
                return false;
            }

            try
            {
                var bytes = await FetchAsync(assignment, ct);
                _verifier.Verify(assignment, bytes);
                var model = LoadedModel.Load(assignment, bytes, _maxBatch);
                var serving = _slots.Current;
                var shadow = serving is null ? 0 : Math.Max(0, assignment.ShadowWindows);
                _queuedVersion = version;
                Enqueue(new Command(CommandKind.Install, model, shadow, shadow > 0 ? "shadow" : "assignment"));
                _logger.LogInformation("model {Version} verified and loaded; {Mode}", version,
                    shadow > 0 ? $"shadow-running for {shadow} windows beside {serving}" : "swapping in");
                return true;
            }
            catch (ModelRejectedException ex)
            {
                Refuse(assignment, ex.Message);
                return false;
            }
            catch (HttpRequestException ex)
            {
                // Transient: not remembered as refused, the next retained delivery or reconnect tries again.
                SetError($"model {version} download failed: {ex.Message}", version);
                _logger.LogError("model {Version} download from {Url} failed: {Message}; keeping {Current}", version, assignment.Url, ex.Message, _slots.Current ?? "the safety net only");
                return false;
            }
        }
        finally
        {
            _installGate.Release();
        }
    }

    /// <summary>Swaps the previous model back in (or drops the candidate); applied by the inference thread before its next batch.</summary>
    public void RequestRollback(string reason) => Enqueue(new Command(CommandKind.Rollback, null, 0, reason));

    /// <summary>Raised when a change waits for the inference thread (it wakes up to apply it).</summary>
    public event Action? CommandQueued;

    private void Enqueue(Command command)
    {
        _commands.Enqueue(command);
        CommandQueued?.Invoke();
    }

    private void Refuse(ModelAssignment assignment, string message)
    {
        _refused[assignment.ModelVersion + "/" + assignment.Sha256] = message;
        SetError(message, assignment.ModelVersion);
        _logger.LogError("{Message}; still serving {Current}", message, _slots.Current ?? "the safety net only (no model)");
    }

    private async Task<byte[]> FetchAsync(ModelAssignment a, CancellationToken ct)
    {
        if (!string.IsNullOrEmpty(a.ModelBase64))
        {
            try
            {
                return Convert.FromBase64String(a.ModelBase64);
            }
            catch (FormatException)
            {
                throw new ModelRejectedException($"model {a.ModelVersion} refused: ModelBase64 is not valid base64");
            }
        }

        if (string.IsNullOrEmpty(a.Url) || !(Uri.TryCreate(a.Url, UriKind.Absolute, out var uri) || (_hubBase is not null && Uri.TryCreate(_hubBase, a.Url, out uri))) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            throw new ModelRejectedException($"model {a.ModelVersion} refused: the assignment carries neither ModelBase64 nor an http(s) Url (relative Urls need Edge:HubUrl) (got '{a.Url}')");
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Add("X-Edge-Id", _edgeId);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        if (response.StatusCode is System.Net.HttpStatusCode.Unauthorized or System.Net.HttpStatusCode.Forbidden)
        {
            var reason = await response.Content.ReadAsStringAsync(ct);
            throw new HttpRequestException($"GET {uri} answered {(int)response.StatusCode} {response.ReasonPhrase} ({(reason.Length > 300 ? reason[..300] : reason)}): " +
                "set Edge:HubApiToken to a hub API token with role 'edge' (and Edge:HubUrl to the hub's URL)");
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET {uri} answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }

        const long limit = 256L * 1024 * 1024;
        if (response.Content.Headers.ContentLength > limit)
        {
            throw new ModelRejectedException($"model {a.ModelVersion} refused: {response.Content.Headers.ContentLength} bytes exceeds the {limit}-byte limit");
        }

        return await response.Content.ReadAsByteArrayAsync(ct);
    }

    private void SetError(string message, string? version) => _lastError = new ModelError(message, version, DateTimeOffset.UtcNow);

    private sealed record ModelError(string Message, string? Version, DateTimeOffset At);

    /// <summary>The models' state at one moment: serving, shadow and rollback versions, the shadow run, and a counter of serving changes.</summary>
    public sealed record ModelSlots(string? Current, string? Candidate, string? Previous, long Generation, ShadowRun? Shadow)
    {
        internal static readonly ModelSlots Empty = new(null, null, null, 0, null);
    }

    /// <summary>The current or last shadow run: its model, windows compared, and the share on which both models chose the same class.</summary>
    public sealed record ShadowRun(string Version, long Windows, double? Agreement);

    private enum CommandKind { Install, SetPrevious, Rollback }

    /// <summary>
    /// A change for the inference thread. A rollback with a <paramref name="Target"/> (an assignment naming an older version)
    /// is idempotent: a retained assignment delivered twice before the first is applied must not swap back and forth.
    /// </summary>
    private sealed record Command(CommandKind Kind, LoadedModel? Model, int ShadowWindows, string Reason, string? Target = null);
}
