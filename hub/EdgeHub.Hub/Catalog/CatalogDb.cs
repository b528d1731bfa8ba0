using System.Data.Common;
using EdgeHub.Hub.Options;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace EdgeHub.Hub.Catalog;

/// <summary>
/// Opens connections to the catalog database: SQLite (one node) or PostgreSQL (several nodes). Both run the same SQL:
/// the schema (<see cref="CatalogMigrations"/>) uses only types and statements both understand (TEXT, BIGINT, DOUBLE PRECISION,
/// INSERT … ON CONFLICT, named parameters).
/// </summary>
public sealed class CatalogDb : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _postgres;
    private readonly string? _sqlite;

    private CatalogDb(NpgsqlDataSource? postgres, string? sqlite)
    {
        _postgres = postgres;
        _sqlite = sqlite;
    }

    /// <summary>True when the catalog is PostgreSQL.</summary>
    public bool IsPostgres => _postgres is not null;

    /// <summary>Human-readable target for logs (no password).</summary>
    public string Describe()
    {
        if (_postgres is not null)
        {
            var b = new NpgsqlConnectionStringBuilder(_postgres.ConnectionString);
            return $"postgres {b.Host}:{b.Port}/{b.Database}";
        }

        return $"sqlite {new SqliteConnectionStringBuilder(_sqlite).DataSource}";
    }

    /// <summary>Creates the connection factory for <paramref name="options"/>; the SQLite default lives in <paramref name="dataRoot"/>.</summary>
    public static CatalogDb Create(CatalogOptions options, string dataRoot)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Provider == "postgres")
        {
            NpgsqlConnectionStringBuilder builder;
            try
            {
                builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
            }
            catch (ArgumentException ex)
            {
                throw new ArgumentException($"settings 'Catalog:ConnectionString' is not a valid Npgsql connection string: {ex.Message}", ex);
            }

            return new CatalogDb(NpgsqlDataSource.Create(builder), null);
        }

        SQLitePCL.Batteries_V2.Init();
        var cs = options.ConnectionString;
        string connectionString;
        if (string.IsNullOrWhiteSpace(cs))
        {
            Directory.CreateDirectory(dataRoot);
            connectionString = new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataRoot, "catalog.db"), DefaultTimeout = 30 }.ToString();
        }
        else if (cs.Contains('=', StringComparison.Ordinal))
        {
            connectionString = cs;
        }
        else
        {
            var path = Path.GetFullPath(cs);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            connectionString = new SqliteConnectionStringBuilder { DataSource = path, DefaultTimeout = 30 }.ToString();
        }

        return new CatalogDb(null, connectionString);
    }

    /// <summary>Opens a connection (pooled by the provider).</summary>
    public async ValueTask<DbConnection> OpenAsync(CancellationToken ct)
    {
        if (_postgres is not null)
        {
            return await _postgres.OpenConnectionAsync(ct).ConfigureAwait(false);
        }

        var connection = new SqliteConnection(_sqlite);
        try
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync().ConfigureAwait(false);
        }
    }
}
