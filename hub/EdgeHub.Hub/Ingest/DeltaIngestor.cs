using System.Diagnostics;
using System.Security.Cryptography;
using EdgeHub.Contracts;
using EdgeHub.Datasets;
using EdgeHub.Hub.Catalog;
using EdgeHub.Hub.Hosting;
using EdgeHub.Hub.Observability;
using EdgeHub.Hub.Options;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Hub.Ingest;

/// <summary>
/// Validates a delta and commits it exactly once into its region's dataset; MQTT and HTTP ingest share it, so both
/// transports have the same semantics. Checks, in order: manifest fields, size, residency (the edge is registered and its
/// region is the delta's region), SHA-256, Parquet structure and schema, row count. Exactly-once comes from the dataset
/// store: each commit carries txn{appId = edge, version = sequence}, so a resent delta is answered "duplicate".
/// </summary>
public sealed class DeltaIngestor
{
    private readonly HubOptions _options;
    private readonly HubCatalog _catalog;
    private readonly DatasetStore _store;
    private readonly HubMetrics _metrics;
    private readonly DatasetReconciler _reconciler;
    private readonly ILogger _logger;

    /// <summary>Creates the ingestor.</summary>
    public DeltaIngestor(HubOptions options, HubCatalog catalog, DatasetStore store, DatasetReconciler reconciler, HubMetrics metrics,
        ILogger<DeltaIngestor> logger)
    {
        _reconciler = reconciler ?? throw new ArgumentNullException(nameof(reconciler));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>Raised after every commit (for server-sent events and the retrain scheduler).</summary>
    public event Action<DatasetVersionRecord>? Committed;

    /// <summary>Validates and commits one delta; never throws for bad input (the ack says why), only for infrastructure faults.</summary>
    public async ValueTask<DeltaAck> IngestAsync(DeltaSubmission s, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var deltaId = s.DeltaId ?? "";
        _ = long.TryParse(s.Sequence, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sequence);
        if (!s.TryGetManifest(out var manifest, out var reason))
        {
            return await RejectAsync(s, deltaId, sequence, reason, started, ct).ConfigureAwait(false);
        }

        var payload = s.Payload;
        if (payload.Length == 0 || payload.Length > _options.MaxDeltaBytes)
        {
            return await RejectAsync(s, deltaId, sequence,
                $"delta is {payload.Length} bytes; the hub accepts 1 to {_options.MaxDeltaBytes} bytes: send smaller deltas", started, ct).ConfigureAwait(false);
        }

        var registered = await _catalog.GetEdgeRegionAsync(s.EdgeId, ct).ConfigureAwait(false);
        if (registered is null)
        {
            return await RejectAsync(s, deltaId, sequence,
                $"edge '{s.EdgeId}' is not registered with this hub: register it in its region (PUT /api/v1/edges/{s.EdgeId}, or settings 'Edges')"
                + (_options.AutoRegisterEdges ? " or let it publish a status message first" : ""), started, ct).ConfigureAwait(false);
        }

        if (!string.Equals(registered, s.Region, StringComparison.Ordinal))
        {
            return await RejectAsync(s, deltaId, sequence,
                $"residency violation: edge '{s.EdgeId}' is registered in region '{registered}' but sent its delta to region '{s.Region}'; "
                + $"an edge's data may only land in its own region: set the edge's region to '{registered}'", started, ct).ConfigureAwait(false);
        }

        if (!ShaMatches(payload.Span, manifest.Sha256, out var actual))
        {
            return await RejectAsync(s, deltaId, sequence,
                $"SHA-256 mismatch: the manifest says {manifest.Sha256}, the payload hashes to {actual}; the delta was corrupted in transit or on disk: resend it",
                started, ct).ConfigureAwait(false);
        }

        var labelled = DeltaParquet.Inspect(payload, manifest.Rows, out reason);
        if (labelled is null)
        {
            return await RejectAsync(s, deltaId, sequence, reason, started, ct).ConfigureAwait(false);
        }

        var result = _store.CommitDelta(s.Region, s.EdgeId, manifest.Sequence, payload, manifest);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        switch (result)
        {
            case CommitResult.Committed committed:
            {
                var record = new DatasetVersionRecord(s.Region, committed.Version, DateTimeOffset.UtcNow, s.EdgeId, deltaId, manifest.Sequence,
                    manifest.Rows, labelled.Value, payload.Length, manifest.Sha256, _options.NodeId);
                await _catalog.RecordCommitAsync(record, ct).ConfigureAwait(false);
                _metrics.Delta(s.Transport, "committed", payload.Length, manifest.Rows, seconds);
                Committed?.Invoke(record);
                await RecordDrainedAsync(s.Region, s.EdgeId, manifest.Sequence, committed.Version, ct).ConfigureAwait(false);
                return Ack(deltaId, manifest.Sequence, "committed", committed.Version, null);
            }

            case CommitResult.Duplicate duplicate:
                _metrics.Delta(s.Transport, "duplicate", payload.Length, manifest.Rows, seconds);
                if (await _catalog.GetVersionAsync(s.Region, duplicate.Version, ct).ConfigureAwait(false) is null)
                {
                    // First committed by a node that died before recording it, or drained from the held queue elsewhere.
                    await _reconciler.RecordVersionsAsync(s.Region, duplicate.Version, duplicate.Version, ct).ConfigureAwait(false);
                }

                return Ack(deltaId, manifest.Sequence, "duplicate", duplicate.Version, null);
            case CommitResult.Held held:
                _metrics.Delta(s.Transport, "held", payload.Length, manifest.Rows, seconds);
                return Ack(deltaId, manifest.Sequence, "held", null,
                    $"sequence {manifest.Sequence} arrived before {held.ExpectedSequence}: it is held until the gap fills; resend from {held.ExpectedSequence}");
            case CommitResult.Rejected rejected:
                return await RejectAsync(s, deltaId, sequence, rejected.Reason, started, ct).ConfigureAwait(false);
            default:
                throw new InvalidOperationException($"unknown commit result {result}");
        }
    }

    /// <summary>
    /// Committing one delta may let the store commit this edge's held successors (the gap filled); those commits never come
    /// back as results, so record them here from the log.
    /// </summary>
    private async ValueTask RecordDrainedAsync(string region, string edgeId, long sequence, long version, CancellationToken ct)
    {
        var table = _store.Open(region);
        if (table.LastSequence(edgeId) is { } last && last > sequence)
        {
            await _reconciler.RecordVersionsAsync(region, version + 1, table.LatestVersion, ct).ConfigureAwait(false);
        }
    }

    private async ValueTask<DeltaAck> RejectAsync(DeltaSubmission s, string deltaId, long sequence, string reason, long started, CancellationToken ct)
    {
        _metrics.Delta(s.Transport, "rejected", s.Payload.Length, 0, Stopwatch.GetElapsedTime(started).TotalSeconds);
        _logger.LogWarning("delta {DeltaId} (edge {Edge}, sequence {Sequence}, region {Region}, via {Transport}) rejected: {Reason}",
            deltaId, s.EdgeId, sequence, s.Region, s.Transport, reason);
        if (Ids.IsValid(s.EdgeId) && Ids.IsValid(s.Region))
        {
            await _catalog.RecordRejectionAsync(new RejectionRecord(DateTimeOffset.UtcNow, s.Region, s.EdgeId, deltaId, sequence, reason, _options.NodeId), ct)
                .ConfigureAwait(false);
        }

        return Ack(deltaId, sequence, "rejected", null, reason);
    }

    private DeltaAck Ack(string deltaId, long sequence, string status, long? version, string? reason) => new()
    {
        DeltaId = deltaId,
        Sequence = sequence,
        Status = status,
        DatasetVersion = version,
        Reason = reason,
        HubNode = _options.NodeId,
    };

    private static bool ShaMatches(ReadOnlySpan<byte> payload, string expectedHex, out string actualHex)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(payload, hash);
        Span<byte> expected = stackalloc byte[32];
        if (Convert.FromHexString(expectedHex, expected, out _, out var written) == System.Buffers.OperationStatus.Done && written == 32
            && hash.SequenceEqual(expected))
        {
            actualHex = expectedHex;
            return true;
        }

        actualHex = Convert.ToHexStringLower(hash);
        return false;
    }
}
