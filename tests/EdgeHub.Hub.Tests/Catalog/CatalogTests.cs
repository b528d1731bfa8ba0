using EdgeHub.Contracts;
using EdgeHub.Hub.Catalog;
using EdgeHub.Hub.Options;
using EdgeHub.Hub.Tests.Fixtures;
using EdgeHub.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeHub.Hub.Tests.Catalog;

/// <summary>The same catalog behaviour on SQLite and on a real PostgreSQL 15 server.</summary>
[Collection("postgres")]
public sealed class CatalogTests(PostgresCluster postgres) : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ehub-cat-" + Guid.NewGuid().ToString("N")[..10]);
    private readonly List<CatalogDb> _dbs = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var db in _dbs)
        {
            await db.DisposeAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, true);
        }
    }

    private async Task<HubCatalog> OpenAsync(string provider)
    {
        var options = provider == "postgres"
            ? new CatalogOptions { Provider = "postgres", ConnectionString = await postgres.CreateDatabaseAsync() }
            : new CatalogOptions { Provider = "sqlite" };
        var db = CatalogDb.Create(options, _dir);
        _dbs.Add(db);
        var catalog = new HubCatalog(db, NullLogger<HubCatalog>.Instance);
        Assert.Equal(CatalogMigrations.All.Count, await catalog.MigrateAsync(CancellationToken.None));
        return catalog;
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Migrate_TwiceAndConcurrently_AppliesEachMigrationOnce(string provider)
    {
        var catalog = await OpenAsync(provider);
        var again = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => catalog.MigrateAsync(CancellationToken.None)));
        Assert.All(again, v => Assert.Equal(CatalogMigrations.All.Count, v));
        Assert.True(await catalog.PingAsync(CancellationToken.None));
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task RegisterEdge_OtherRegionWithoutMove_Conflicts(string provider)
    {
        var catalog = await OpenAsync(provider);
        var ct = CancellationToken.None;
        Assert.True(await catalog.EnsureRegionAsync("eu", ct));
        Assert.False(await catalog.EnsureRegionAsync("eu", ct));
        await catalog.EnsureRegionAsync("na", ct);
        Assert.Equal(RegistrationOutcome.Created, await catalog.RegisterEdgeAsync("e1", "eu", "api", false, ct));
        Assert.Equal(RegistrationOutcome.Unchanged, await catalog.RegisterEdgeAsync("e1", "eu", "auto", false, ct));
        Assert.Equal(RegistrationOutcome.Conflict, await catalog.RegisterEdgeAsync("e1", "na", "auto", false, ct));
        Assert.Equal("eu", await catalog.GetEdgeRegionAsync("e1", ct));
        Assert.Equal(RegistrationOutcome.Moved, await catalog.RegisterEdgeAsync("e1", "na", "api", true, ct));
        Assert.Equal("na", await catalog.GetEdgeRegionAsync("e1", ct));
        Assert.Null(await catalog.GetEdgeRegionAsync("nobody", ct));
        Assert.Throws<ArgumentException>(() => { _ = catalog.RegisterEdgeAsync("bad/id", "na", "api", false, ct); });

        var regions = await catalog.ListRegionsAsync(ct);
        Assert.Equal(["eu", "na"], regions.Select(r => r.Name));
        Assert.Equal(1, regions.Single(r => r.Name == "na").Edges);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task UpdateEdgeStatus_RegisteredEdge_StoresEveryField(string provider)
    {
        var catalog = await OpenAsync(provider);
        var ct = CancellationToken.None;
        await catalog.EnsureRegionAsync("eu", ct);
        await catalog.RegisterEdgeAsync("e1", "eu", "config", false, ct);
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_123);
        var status = new EdgeStatus
        {
            EdgeId = "e1", Region = "eu", Online = true, ModelVersion = "eu-3", CandidateVersion = "eu-4", ShadowAgreement = 0.97,
            QueueDepth = 3, PendingRows = 120, Devices = 40, FramesPerSecond = 39.5, DriftPsi = 0.12, OverrideRate = 0.05,
        };
        Assert.True(await catalog.UpdateEdgeStatusAsync(status, at, ct));
        Assert.False(await catalog.UpdateEdgeStatusAsync(status with { EdgeId = "unknown" }, at, ct));
        Assert.True(await catalog.SetPinAsync("e1", "eu-2", ct));
        var e = await catalog.GetEdgeAsync("e1", ct);
        Assert.NotNull(e);
        Assert.True(e.Online);
        Assert.Equal(at, e.LastSeen);
        Assert.Equal("eu-3", e.ModelVersion);
        Assert.Equal("eu-4", e.CandidateVersion);
        Assert.Equal(0.97, e.ShadowAgreement);
        Assert.Equal(3, e.QueueDepth);
        Assert.Equal(120, e.PendingRows);
        Assert.Equal(40, e.Devices);
        Assert.Equal(0.12, e.DriftPsi);
        Assert.Equal("eu-2", e.PinnedModel);
        Assert.Equal("config", e.RegisteredBy);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task RecordCommit_SameVersionTwice_KeepsOneRow(string provider)
    {
        var catalog = await OpenAsync(provider);
        var ct = CancellationToken.None;
        await catalog.EnsureRegionAsync("eu", ct);
        await catalog.RegisterEdgeAsync("e1", "eu", "api", false, ct);
        var now = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);
        for (var v = 1; v <= 5; v++)
        {
            var rec = new DatasetVersionRecord("eu", v, now, "e1", $"d{v}", v, 10 * v, v, 1000, new string('a', 64), "n1");
            await catalog.RecordCommitAsync(rec, ct);
            await catalog.RecordCommitAsync(rec, ct);
        }

        Assert.Equal(5, await catalog.LatestVersionAsync("eu", ct));
        Assert.Null(await catalog.LatestVersionAsync("na", ct));
        var since = await catalog.ListVersionsAsync("eu", 2, long.MaxValue, 100, ct);
        Assert.Equal([3L, 4L, 5L], since.Select(v => v.Version));
        Assert.Equal((120L, 12L, 3L), await catalog.SumSinceAsync("eu", 2, ct));
        Assert.Equal("d4", (await catalog.GetVersionAsync("eu", 4, ct))!.DeltaId);
        Assert.Equal([("e1", 5L, 150L)], await catalog.CommitsByEdgeAsync("eu", ct));
        Assert.Equal(now, (await catalog.GetEdgeAsync("e1", ct))!.LastDeltaAt);

        await catalog.RecordRejectionAsync(new RejectionRecord(now, "na", "e1", "dx", 9, "wrong region", "n1"), ct);
        var rejections = await catalog.ListRejectionsAsync("e1", 10, ct);
        Assert.Equal("wrong region", Assert.Single(rejections).Reason);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task TryAcquireLease_HeldByOther_RefusedUntilReleased(string provider)
    {
        var catalog = await OpenAsync(provider);
        var ct = CancellationToken.None;
        Assert.True(await catalog.TryAcquireLeaseAsync("rollouts", "a", TimeSpan.FromMinutes(1), ct));
        Assert.True(await catalog.TryAcquireLeaseAsync("rollouts", "a", TimeSpan.FromMinutes(1), ct));
        Assert.False(await catalog.TryAcquireLeaseAsync("rollouts", "b", TimeSpan.FromMinutes(1), ct));
        await catalog.ReleaseLeaseAsync("rollouts", "a", ct);
        Assert.True(await catalog.TryAcquireLeaseAsync("rollouts", "b", TimeSpan.FromMilliseconds(1), ct));
        await Eventually.TrueAsync(() => catalog.TryAcquireLeaseAsync("rollouts", "a", TimeSpan.FromMinutes(1), ct).Result,
            TimeSpan.FromSeconds(5), "an expired lease is taken over");
    }

    [Fact]
    public void DeployedSchema_EqualsMigrations()
    {
        var path = Path.Combine(RepoPaths.Root, "deploy", "postgres", "schema.sql");
        if (Environment.GetEnvironmentVariable("EDGEHUB_WRITE_SCHEMA") == "1")
        {
            // Regenerating after adding a migration: EDGEHUB_WRITE_SCHEMA=1 dotnet test --filter DeployedSchema_EqualsMigrations
            File.WriteAllText(path, CatalogMigrations.Script());
        }

        Assert.True(File.Exists(path), $"{path} is missing");
        Assert.Equal(CatalogMigrations.Script(), File.ReadAllText(path).ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Create_PostgresWithoutConnectionString_ThrowsNamingTheSetting()
    {
        var ex = Assert.Throws<ArgumentException>(() => new HubOptions { Catalog = { Provider = "postgres" } }.Resolve());
        Assert.Contains("Catalog:ConnectionString", ex.Message, StringComparison.Ordinal);
        var bad = Assert.Throws<ArgumentException>(() => new HubOptions { Catalog = { Provider = "mysql" } }.Resolve());
        Assert.Contains("'mysql'", bad.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }
}
