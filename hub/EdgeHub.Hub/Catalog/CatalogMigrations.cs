using System.Data.Common;
using Microsoft.Extensions.Logging;

namespace EdgeHub.Hub.Catalog;

/// <summary>
/// The catalog schema as an ordered list of migrations, one schema for SQLite and PostgreSQL. Applied at start-up under a
/// lock (PostgreSQL advisory lock; SQLite immediate transaction), so several nodes starting together apply each migration
/// exactly once. Append new migrations; never edit an applied one. deploy/postgres/schema.sql is this list concatenated
/// (a test keeps them equal).
/// </summary>
public static class CatalogMigrations
{
    /// <summary>Advisory lock key for migrations ("ehubmigr").</summary>
    private const long PostgresLockKey = 0x6568_7562_6d69_6772;

    /// <summary>The migrations, in order; index + 1 is the schema version.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        """
        CREATE TABLE regions (
            name TEXT PRIMARY KEY,
            created_at BIGINT NOT NULL
        );
        CREATE TABLE edges (
            edge_id TEXT PRIMARY KEY,
            region TEXT NOT NULL REFERENCES regions(name),
            registered_at BIGINT NOT NULL,
            registered_by TEXT NOT NULL,
            last_seen BIGINT,
            online BIGINT NOT NULL DEFAULT 0,
            model_version TEXT,
            candidate_version TEXT,
            shadow_agreement DOUBLE PRECISION,
            last_model_error TEXT,
            queue_depth BIGINT NOT NULL DEFAULT 0,
            pending_rows BIGINT NOT NULL DEFAULT 0,
            devices BIGINT NOT NULL DEFAULT 0,
            frames_per_second DOUBLE PRECISION NOT NULL DEFAULT 0,
            drift_psi DOUBLE PRECISION,
            override_rate DOUBLE PRECISION,
            pinned_model TEXT,
            last_delta_at BIGINT
        );
        CREATE INDEX ix_edges_region ON edges(region);
        CREATE TABLE dataset_versions (
            region TEXT NOT NULL,
            version BIGINT NOT NULL,
            committed_at BIGINT NOT NULL,
            edge_id TEXT NOT NULL,
            delta_id TEXT NOT NULL,
            sequence BIGINT NOT NULL,
            rows BIGINT NOT NULL,
            labelled_rows BIGINT NOT NULL,
            bytes BIGINT NOT NULL,
            sha256 TEXT NOT NULL,
            hub_node TEXT NOT NULL,
            PRIMARY KEY (region, version)
        );
        CREATE UNIQUE INDEX ix_dataset_versions_delta ON dataset_versions(region, edge_id, sequence);
        CREATE TABLE delta_rejections (
            id TEXT PRIMARY KEY,
            at BIGINT NOT NULL,
            region TEXT NOT NULL,
            edge_id TEXT NOT NULL,
            delta_id TEXT NOT NULL,
            sequence BIGINT NOT NULL,
            reason TEXT NOT NULL,
            hub_node TEXT NOT NULL
        );
        CREATE INDEX ix_delta_rejections_edge ON delta_rejections(edge_id, at);
        CREATE TABLE models (
            version TEXT PRIMARY KEY,
            region TEXT NOT NULL,
            parent_version TEXT,
            training_mode TEXT NOT NULL,
            dataset_version BIGINT NOT NULL,
            base_dataset_version BIGINT,
            chain_length BIGINT NOT NULL DEFAULT 0,
            trained_rows BIGINT NOT NULL DEFAULT 0,
            duration_ms BIGINT NOT NULL DEFAULT 0,
            feature_schema_id TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            signature TEXT NOT NULL,
            size_bytes BIGINT NOT NULL,
            status TEXT NOT NULL,
            metrics_json TEXT,
            gate_json TEXT,
            created_at BIGINT NOT NULL,
            created_by TEXT NOT NULL
        );
        CREATE INDEX ix_models_region ON models(region, created_at);
        CREATE TABLE rollouts (
            rollout_id TEXT PRIMARY KEY,
            region TEXT NOT NULL,
            model_version TEXT NOT NULL,
            previous_model TEXT,
            state TEXT NOT NULL,
            plan_json TEXT NOT NULL,
            state_json TEXT NOT NULL,
            revision BIGINT NOT NULL,
            created_at BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        );
        CREATE INDEX ix_rollouts_region ON rollouts(region, created_at);
        CREATE TABLE rollout_events (
            rollout_id TEXT NOT NULL,
            seq BIGINT NOT NULL,
            at BIGINT NOT NULL,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL,
            PRIMARY KEY (rollout_id, seq)
        );
        CREATE TABLE region_models (
            region TEXT PRIMARY KEY,
            model_version TEXT NOT NULL,
            updated_at BIGINT NOT NULL
        );
        CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at BIGINT NOT NULL
        );
        """,
        """
        ALTER TABLE models ADD COLUMN record_json TEXT;
        CREATE TABLE rollout_state (
            region TEXT PRIMARY KEY,
            snapshot_json TEXT NOT NULL,
            revision BIGINT NOT NULL,
            updated_at BIGINT NOT NULL
        );
        CREATE TABLE retrain_requests (
            region TEXT PRIMARY KEY,
            mode TEXT,
            requested_at BIGINT NOT NULL,
            requested_by TEXT NOT NULL
        );
        """,
        """
        ALTER TABLE edges ADD COLUMN status_json TEXT;
        """,
    ];

    /// <summary>Applies every migration not yet applied; returns the schema version.</summary>
    public static async Task<int> ApplyAsync(CatalogDb db, ILogger logger, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(logger);
        var connection = await db.OpenAsync(ct).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            if (!db.IsPostgres)
            {
                // WAL lets the API read while ingest writes; the setting persists in the file.
                await connection.Command("PRAGMA journal_mode=WAL;").ExecAsync(ct).ConfigureAwait(false);
            }

            var tx = await connection.BeginTransactionAsync(ct).ConfigureAwait(false);
            await using (tx.ConfigureAwait(false))
            {
                if (db.IsPostgres)
                {
                    await connection.Command("SELECT pg_advisory_xact_lock(@k)", tx).With("@k", PostgresLockKey).ExecAsync(ct).ConfigureAwait(false);
                }

                await connection.Command(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)", tx)
                    .ExecAsync(ct).ConfigureAwait(false);
                var current = Convert.ToInt32(
                    await connection.Command("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", tx).ScalarAsync(ct).ConfigureAwait(false) ?? 0,
                    System.Globalization.CultureInfo.InvariantCulture);
                if (current > All.Count)
                {
                    throw new InvalidOperationException(
                        $"the catalog ({db.Describe()}) has schema version {current}, newer than this hub's {All.Count}: upgrade this hub node");
                }

                for (var v = current + 1; v <= All.Count; v++)
                {
                    await ExecScriptAsync(connection, tx, All[v - 1], ct).ConfigureAwait(false);
                    await connection.Command("INSERT INTO schema_migrations (version, applied_at) VALUES (@v, @t)", tx)
                        .With("@v", (long)v).With("@t", DateTimeOffset.UtcNow.Ms()).ExecAsync(ct).ConfigureAwait(false);
                    logger.LogInformation("catalog {Target}: applied migration {Version}", db.Describe(), v);
                }

                await tx.CommitAsync(ct).ConfigureAwait(false);
                return All.Count;
            }
        }
    }

    /// <summary>The whole schema as one SQL script (what deploy/postgres/schema.sql holds).</summary>
    public static string Script()
    {
        var sb = new System.Text.StringBuilder();
        sb.Append("-- EdgeHub hub catalog schema (generated from hub/EdgeHub.Hub/Catalog/CatalogMigrations.cs; the hub applies it itself).\n");
        sb.Append("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL);\n");
        for (var i = 0; i < All.Count; i++)
        {
            sb.Append("-- migration ").Append(i + 1).Append('\n').Append(All[i].ReplaceLineEndings("\n").TrimEnd()).Append('\n');
            sb.Append("INSERT INTO schema_migrations (version, applied_at) VALUES (").Append(i + 1).Append(", 0);\n");
        }

        return sb.ToString();
    }

    private static async Task ExecScriptAsync(DbConnection connection, DbTransaction tx, string script, CancellationToken ct)
    {
        // One statement per command: both providers accept that, and errors name the failing statement.
        foreach (var statement in script.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            await connection.Command(statement, tx).ExecAsync(ct).ConfigureAwait(false);
        }
    }
}
