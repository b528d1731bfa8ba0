using System.Data.Common;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Hub.Catalog;

/// <summary>
/// The hub's catalog: regions, edges, dataset commit log, rejections, models, rollouts, leases. Split by concern into
/// partial files (HubCatalog.Edges.cs, .Datasets.cs, .Models.cs, .Rollouts.cs). Every method opens a pooled connection,
/// so the catalog is safe to use from any thread and from several hub nodes at once.
/// </summary>
public sealed partial class HubCatalog
{
    private readonly CatalogDb _db;
    private readonly ILogger _logger;

    /// <summary>Creates the catalog over <paramref name="db"/>; call <see cref="MigrateAsync"/> before use.</summary>
    public HubCatalog(CatalogDb db, ILogger<HubCatalog> logger)
    {
        _db = db ?? throw new ArgumentNullException(nameof(db));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>The database underneath.</summary>
    public CatalogDb Db => _db;

    /// <summary>Applies pending migrations.</summary>
    public Task<int> MigrateAsync(CancellationToken ct) => CatalogMigrations.ApplyAsync(_db, _logger, ct);

    /// <summary>True when the database answers (readiness).</summary>
    public async Task<bool> PingAsync(CancellationToken ct)
    {
        try
        {
            var c = await _db.OpenAsync(ct).ConfigureAwait(false);
            await using (c.ConfigureAwait(false))
            {
                return await c.Command("SELECT 1").ScalarAsync(ct).ConfigureAwait(false) is not null;
            }
        }
        catch (DbException ex)
        {
            _logger.LogWarning("catalog {Target} does not answer: {Message}", _db.Describe(), ex.Message);
            return false;
        }
    }

    /// <summary>
    /// Takes or renews the named lease for <paramref name="ttl"/>; true when <paramref name="holder"/> holds it now.
    /// Used so that one node at a time drives the retrain scheduler and the rollout engine.
    /// </summary>
    public async Task<bool> TryAcquireLeaseAsync(string name, string holder, TimeSpan ttl, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var c = await _db.OpenAsync(ct).ConfigureAwait(false);
        await using (c.ConfigureAwait(false))
        {
            var n = await c.Command("""
                INSERT INTO leases (name, holder, expires_at) VALUES (@n, @h, @e)
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                WHERE leases.expires_at < @now OR leases.holder = excluded.holder
                """).With("@n", name).With("@h", holder).With("@e", (now + ttl).Ms()).With("@now", now.Ms()).ExecAsync(ct).ConfigureAwait(false);
            return n == 1;
        }
    }

    /// <summary>Gives a lease up (on shutdown) so another node takes over at once.</summary>
    public async Task ReleaseLeaseAsync(string name, string holder, CancellationToken ct)
    {
        var c = await _db.OpenAsync(ct).ConfigureAwait(false);
        await using (c.ConfigureAwait(false))
        {
            await c.Command("DELETE FROM leases WHERE name = @n AND holder = @h").With("@n", name).With("@h", holder).ExecAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task<T> WithConnectionAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken ct)
    {
        var c = await _db.OpenAsync(ct).ConfigureAwait(false);
        await using (c.ConfigureAwait(false))
        {
            return await work(c).ConfigureAwait(false);
        }
    }
}
