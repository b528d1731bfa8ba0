using SQLitePCL;

namespace EdgeHub.Edge.Store;

public sealed partial class EdgeStore
{
    private sqlite3_stmt? _assignAlertColumn;

    /// <summary>
    /// Runs the enclosed writes with synchronous=NORMAL instead of the connection's FULL: window batches and alert
    /// bookkeeping commit many times a second, and in WAL mode NORMAL still survives a process crash (SIGKILL), skipping only
    /// the fsync per commit. Seals, acks and labels stay FULL, and a FULL commit syncs the whole WAL, so every window sealed
    /// into a delta is on disk before its sequence number can be sent; power loss can only lose unsealed windows.
    /// </summary>
    private SyncScope Relaxed()
    {
        Check(raw.sqlite3_exec(_db.Handle, "PRAGMA synchronous=NORMAL"), "relax synchronous");
        return new SyncScope(this);
    }

    /// <summary>Links the given window rows to an alert and sets their alert column where unset (caller holds the lock).</summary>
    private int AssignAlertByIds(string alertId, ReadOnlySpan<long> rowIds)
    {
        var db = _db.Handle;
        using var relaxed = Relaxed();
        _assignAlertColumn ??= PrepareRaw("UPDATE windows SET alert_id = ?1 WHERE id = ?2 AND alert_id IS NULL");
        Check(raw.sqlite3_exec(db, "BEGIN"), "begin");
        try
        {
            var linked = 0;
            foreach (var id in rowIds)
            {
                raw.sqlite3_bind_text(_insertAlertWindow, 1, alertId);
                raw.sqlite3_bind_int64(_insertAlertWindow, 2, id);
                Step(_insertAlertWindow, "link alert window");
                linked += raw.sqlite3_changes(db);
                raw.sqlite3_bind_text(_assignAlertColumn, 1, alertId);
                raw.sqlite3_bind_int64(_assignAlertColumn, 2, id);
                Step(_assignAlertColumn, "set window alert");
            }

            Check(raw.sqlite3_exec(db, "COMMIT"), "commit alert windows");
            return linked;
        }
        catch
        {
            raw.sqlite3_exec(db, "ROLLBACK");
            throw;
        }
    }

    private void Step(sqlite3_stmt statement, string what)
    {
        var rc = raw.sqlite3_step(statement);
        raw.sqlite3_reset(statement);
        Check(rc == raw.SQLITE_DONE ? raw.SQLITE_OK : rc, what);
    }

    private void DisposeDurability() => _assignAlertColumn?.Dispose();

    private readonly struct SyncScope(EdgeStore store) : IDisposable
    {
        public void Dispose() => raw.sqlite3_exec(store._db.Handle, "PRAGMA synchronous=FULL");
    }
}
