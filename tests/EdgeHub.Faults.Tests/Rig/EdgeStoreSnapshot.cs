using Microsoft.Data.Sqlite;

namespace EdgeHub.Faults.Tests.Rig;

/// <summary>One window row of the edge's store.</summary>
public sealed record StoredWindow(string WindowId, long? Sequence, int? Label, string? AlertId, string DevicePseudonym, long WindowEnd);

/// <summary>One sealed delta of the edge's store.</summary>
public sealed record StoredDelta(long Sequence, long Rows, bool Acked, string? Status, string? Reason);

/// <summary>
/// What the edge's SQLite store holds (read with a second connection while the agent may still run: WAL allows it):
/// the windows it computed, its sealed deltas with their ack state, the alerts it recorded, and the labelled windows.
/// </summary>
public sealed class EdgeStoreSnapshot
{
    private EdgeStoreSnapshot(List<StoredWindow> windows, List<StoredDelta> deltas, HashSet<string> alerts, long pendingLabelRows)
    {
        Windows = windows;
        Deltas = deltas;
        Alerts = alerts;
        PendingLabelRows = pendingLabelRows;
    }

    /// <summary>Every window row still in the store.</summary>
    public IReadOnlyList<StoredWindow> Windows { get; }

    /// <summary>Every sealed delta, by sequence.</summary>
    public IReadOnlyList<StoredDelta> Deltas { get; }

    /// <summary>Ids of the alerts the edge recorded.</summary>
    public IReadOnlySet<string> Alerts { get; }

    /// <summary>Label rows not yet sealed.</summary>
    public long PendingLabelRows { get; }

    /// <summary>Reads the store at <paramref name="path"/> for edge <paramref name="edgeId"/>.</summary>
    public static EdgeStoreSnapshot Read(string path, string edgeId)
    {
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "PRAGMA busy_timeout=5000";
        cmd.ExecuteNonQuery();

        var windows = new List<StoredWindow>();
        cmd.CommandText = "SELECT id, seq, label, alert_id, device_pseudonym, window_end FROM windows ORDER BY id";
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                windows.Add(new StoredWindow($"{edgeId}-w{r.GetInt64(0)}", r.IsDBNull(1) ? null : r.GetInt64(1), r.IsDBNull(2) ? null : r.GetInt32(2),
                    r.IsDBNull(3) ? null : r.GetString(3), r.GetString(4), r.GetInt64(5)));
            }
        }

        var deltas = new List<StoredDelta>();
        cmd.CommandText = "SELECT seq, rows, acked_at IS NOT NULL, status, reason FROM deltas ORDER BY seq";
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                deltas.Add(new StoredDelta(r.GetInt64(0), r.GetInt64(1), r.GetBoolean(2), r.IsDBNull(3) ? null : r.GetString(3),
                    r.IsDBNull(4) ? null : r.GetString(4)));
            }
        }

        var alerts = new HashSet<string>(StringComparer.Ordinal);
        cmd.CommandText = "SELECT alert_id FROM alerts";
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                alerts.Add(r.GetString(0));
            }
        }

        cmd.CommandText = "SELECT count(*) FROM label_rows WHERE seq IS NULL";
        var pendingLabels = (long)cmd.ExecuteScalar()!;
        return new EdgeStoreSnapshot(windows, deltas, alerts, pendingLabels);
    }
}
