using System.Runtime.InteropServices;
using EdgeHub.Contracts;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SQLitePCL;

namespace EdgeHub.Edge.Store;

/// <summary>
/// The edge's local store (SQLite, WAL, synchronous=FULL): window rows, label rows, sealed deltas and the per-edge delta
/// sequence. Everything the hub must learn from is committed here before it is sealed and sent, so a SIGKILL loses at most
/// the rows not yet committed and never a sealed delta or a sequence number. One connection, one lock: callers are the
/// store writer (batches), the sealer, the uploader and the label handler; each holds the lock for one short transaction.
/// </summary>
public sealed partial class EdgeStore : IDisposable
{
    private readonly SqliteConnection _db;
    private readonly Lock _gate = new();
    private readonly string _edgeId;
    private readonly ILogger _logger;
    private readonly sqlite3_stmt _insertWindow;
    private readonly sqlite3_stmt _insertAlertWindow;
    private long _pendingRows;
    private bool _disposed;

    static EdgeStore() => Batteries_V2.Init();

    /// <summary>Opens (creating if needed) the store at <paramref name="path"/>.</summary>
    public EdgeStore(string path, string edgeId, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _edgeId = Ids.Validate(edgeId, "edge id");
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        Path = path;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _db.Open();
        // auto_vacuum must precede the first table; it lets the quota policy give freed pages back to the file system.
        Exec("PRAGMA auto_vacuum=INCREMENTAL");
        Exec("PRAGMA journal_mode=WAL");
        // FULL: a committed seal (sequence + frozen bytes) survives power loss too, so a sequence is never reissued.
        Exec("PRAGMA synchronous=FULL");
        Exec("PRAGMA busy_timeout=5000");
        CreateSchema();
        CreateLabelSchema();
        _insertWindow = PrepareRaw("""
            INSERT INTO windows (site_id, device_pseudonym, patient_pseudonym, window_end, recorded_at, features,
                                 model_version, predicted_class, probs, alert_id)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            """);
        _insertAlertWindow = PrepareRaw("INSERT OR IGNORE INTO alert_windows (alert_id, window) VALUES (?1, ?2)");
        LoadOpenAlertLabels();
        _pendingRows = Scalar("SELECT (SELECT count(*) FROM windows WHERE seq IS NULL) + (SELECT count(*) FROM label_rows WHERE seq IS NULL)");
    }

    /// <summary>File path of the database.</summary>
    public string Path { get; }

    /// <summary>Rows (windows + labels) not yet sealed into a delta.</summary>
    public long PendingRows => Interlocked.Read(ref _pendingRows);

    /// <summary>Window rows dropped by the quota policy since start.</summary>
    public long DroppedRows => Interlocked.Read(ref _droppedRows);

    /// <summary>Inserts window rows in one transaction; fills <paramref name="rowIds"/> (window ids are "{edge}-w{id}").</summary>
    /// <remarks>The hot path binds through the SQLite C API directly: the ADO.NET parameter layer costs more than SQLite itself here.</remarks>
    public void InsertWindows(ReadOnlySpan<WindowRecord> records, Span<long> rowIds)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var db = _db.Handle;
            using var relaxed = Relaxed();
            Check(raw.sqlite3_exec(db, "BEGIN"), "begin");
            try
            {
                var st = _insertWindow;
                for (var i = 0; i < records.Length; i++)
                {
                    var r = records[i];
                    raw.sqlite3_bind_text(st, 1, r.SiteId);
                    raw.sqlite3_bind_text(st, 2, r.DevicePseudonym);
                    raw.sqlite3_bind_text(st, 3, r.PatientPseudonym);
                    raw.sqlite3_bind_int64(st, 4, r.WindowEndMicros);
                    raw.sqlite3_bind_int64(st, 5, r.RecordedAtMicros);
                    raw.sqlite3_bind_blob(st, 6, MemoryMarshal.AsBytes(r.Features.AsSpan()));
                    if (r.PredictedClass >= 0)
                    {
                        if (r.ModelVersion is null)
                        {
                            raw.sqlite3_bind_null(st, 7);
                        }
                        else
                        {
                            raw.sqlite3_bind_text(st, 7, r.ModelVersion);
                        }

                        raw.sqlite3_bind_int(st, 8, r.PredictedClass);
                        raw.sqlite3_bind_blob(st, 9, MemoryMarshal.AsBytes(r.Probabilities.AsSpan()));
                    }
                    else
                    {
                        raw.sqlite3_bind_null(st, 7);
                        raw.sqlite3_bind_null(st, 8);
                        raw.sqlite3_bind_null(st, 9);
                    }

                    if (r.AlertId is null)
                    {
                        raw.sqlite3_bind_null(st, 10);
                    }
                    else
                    {
                        raw.sqlite3_bind_text(st, 10, r.AlertId);
                    }

                    var rc = raw.sqlite3_step(st);
                    raw.sqlite3_reset(st);
                    Check(rc == raw.SQLITE_DONE ? raw.SQLITE_OK : rc, "insert window");
                    var rowId = raw.sqlite3_last_insert_rowid(db);
                    rowIds[i] = rowId;
                    foreach (var alertId in r.AlertIds)
                    {
                        raw.sqlite3_bind_text(_insertAlertWindow, 1, alertId);
                        raw.sqlite3_bind_int64(_insertAlertWindow, 2, rowId);
                        rc = raw.sqlite3_step(_insertAlertWindow);
                        raw.sqlite3_reset(_insertAlertWindow);
                        Check(rc == raw.SQLITE_DONE ? raw.SQLITE_OK : rc, "insert alert window");
                    }

                    LabelIfAlertLabelled(r, rowId);
                }

                Check(raw.sqlite3_exec(db, "COMMIT"), "commit windows");
            }
            catch
            {
                raw.sqlite3_exec(db, "ROLLBACK");
                throw;
            }

            Interlocked.Add(ref _pendingRows, records.Length);
        }
    }

    /// <summary>
    /// Marks the windows of <paramref name="devicePseudonym"/> ending in [fromMicros, toMicros] as belonging to
    /// <paramref name="alertId"/> (the windows that led to the raise were stored before the alert existed).
    /// Only the newest 200,000 rows are searched (alerts concern the last seconds; no index on device keeps inserts cheap).
    /// The local column only: a delta already sealed keeps its frozen bytes, and labels reach it as label rows.
    /// </summary>
    public int AssignAlert(string alertId, string devicePseudonym, long fromMicros, long toMicros) =>
        AssignAlert(alertId, devicePseudonym, fromMicros, toMicros, null);

    /// <summary>
    /// As <see cref="AssignAlert(string, string, long, long)"/>, finding the windows by id in the device's
    /// <paramref name="log"/> when it reaches back to <paramref name="fromMicros"/> (no table scan), else by the search.
    /// Store writer thread only (the log belongs to it).
    /// </summary>
    public int AssignAlert(string alertId, string devicePseudonym, long fromMicros, long toMicros, WindowLog? log)
    {
        Span<long> ids = stackalloc long[WindowLog.Capacity];
        var n = log?.Collect(fromMicros, toMicros, ids) ?? -1;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (n >= 0)
            {
                var byIds = AssignAlertByIds(alertId, ids[..n]);
                ApplyRememberedLabel(alertId);
                return byIds;
            }

            using var relaxed = Relaxed();
            using var tx = _db.BeginTransaction();
            using var link = Command("""
                INSERT OR IGNORE INTO alert_windows (alert_id, window)
                SELECT $alert, id FROM windows
                WHERE id >= (SELECT max(id) FROM windows) - 200000
                  AND device_pseudonym = $device AND window_end BETWEEN $from AND $to
                """, tx);
            link.Parameters.AddWithValue("$alert", alertId);
            link.Parameters.AddWithValue("$device", devicePseudonym);
            link.Parameters.AddWithValue("$from", fromMicros);
            link.Parameters.AddWithValue("$to", toMicros);
            var linked = link.ExecuteNonQuery();
            using var column = Command("""
                UPDATE windows SET alert_id = $alert
                WHERE id IN (SELECT window FROM alert_windows WHERE alert_id = $alert) AND alert_id IS NULL
                """, tx);
            column.Parameters.AddWithValue("$alert", alertId);
            column.ExecuteNonQuery();
            tx.Commit();
            ApplyRememberedLabel(alertId);
            return linked;
        }
    }

    /// <summary>
    /// Joins a clinician label to the windows of <paramref name="alertId"/>: unsealed windows get the label in place;
    /// for windows already sealed into a delta a label row is queued for the next delta; windows linked to the alert later
    /// inherit it (EdgeStore.Labels.cs). Returns windows labelled now.
    /// </summary>
    public int ApplyLabel(string alertId, int? label, string action, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(action);
        var atMicros = ToMicros(at);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return ApplyLabelLocked(alertId, label, action, atMicros, remember: true);
        }
    }

    /// <summary>The body of <see cref="ApplyLabel"/> (caller holds the lock): one transaction; labels only windows not yet carrying this label.</summary>
    private int ApplyLabelLocked(string alertId, int? label, string action, long atMicros, bool remember)
    {
        {
            using var tx = _db.BeginTransaction();
            using var rows = Command("""
                INSERT INTO label_rows (window_id, site_id, device_pseudonym, patient_pseudonym, window_end, recorded_at,
                                        alert_id, label, label_action, labelled_at)
                SELECT $edge || '-w' || id, site_id, device_pseudonym, patient_pseudonym, window_end, $now,
                       $alert, $label, $action, $at
                FROM windows WHERE id IN (SELECT window FROM alert_windows WHERE alert_id = $alert) AND seq IS NOT NULL
                  AND (labelled_at IS NULL OR labelled_at <> $at)
                """, tx);
            rows.Parameters.AddWithValue("$edge", _edgeId);
            rows.Parameters.AddWithValue("$now", ToMicros(DateTimeOffset.UtcNow));
            rows.Parameters.AddWithValue("$label", (object?)label ?? DBNull.Value);
            rows.Parameters.AddWithValue("$action", action);
            rows.Parameters.AddWithValue("$at", atMicros);
            rows.Parameters.AddWithValue("$alert", alertId);
            var labelRows = rows.ExecuteNonQuery();
            using var update = Command("""
                UPDATE windows SET alert_id = $alert, label = $label, label_action = $action, labelled_at = $at
                WHERE id IN (SELECT window FROM alert_windows WHERE alert_id = $alert) AND (labelled_at IS NULL OR labelled_at <> $at)
                """, tx);
            update.Parameters.AddWithValue("$label", (object?)label ?? DBNull.Value);
            update.Parameters.AddWithValue("$action", action);
            update.Parameters.AddWithValue("$at", atMicros);
            update.Parameters.AddWithValue("$alert", alertId);
            var windows = update.ExecuteNonQuery();
            if (remember)
            {
                RememberLabel(tx, alertId, label, action, atMicros);
            }

            tx.Commit();
            Interlocked.Add(ref _pendingRows, labelRows);
            return windows;
        }
    }

    /// <summary>Records a raised alert (so a label that arrives after a restart still finds its kind).</summary>
    public void RecordAlert(string alertId, string kind, string source, string siteId, string devicePseudonym, long startedMicros)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var relaxed = Relaxed();
            using var cmd = Command("""
                INSERT OR IGNORE INTO alerts (alert_id, kind, source, site_id, device_pseudonym, started_at)
                VALUES ($id, $kind, $source, $site, $device, $started)
                """);
            cmd.Parameters.AddWithValue("$id", alertId);
            cmd.Parameters.AddWithValue("$kind", kind);
            cmd.Parameters.AddWithValue("$source", source);
            cmd.Parameters.AddWithValue("$site", siteId);
            cmd.Parameters.AddWithValue("$device", devicePseudonym);
            cmd.Parameters.AddWithValue("$started", startedMicros);
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>Marks an alert cleared.</summary>
    public void ClearAlert(string alertId, long clearedMicros)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var relaxed = Relaxed();
            using var cmd = Command("UPDATE alerts SET cleared_at = $at WHERE alert_id = $id");
            cmd.Parameters.AddWithValue("$at", clearedMicros);
            cmd.Parameters.AddWithValue("$id", alertId);
            cmd.ExecuteNonQuery();
            ForgetLabel(alertId);
        }
    }

    /// <summary>The kind of a recorded alert, or null when this edge never raised it.</summary>
    public string? AlertKindOf(string alertId)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var cmd = Command("SELECT kind FROM alerts WHERE alert_id = $id");
            cmd.Parameters.AddWithValue("$id", alertId);
            return cmd.ExecuteScalar() as string;
        }
    }

    /// <summary>Number of window rows in the store (tests, metrics).</summary>
    public long CountWindows() => Locked(() => Scalar("SELECT count(*) FROM windows"));

    /// <summary>Micro-seconds since the Unix epoch.</summary>
    public static long ToMicros(DateTimeOffset t) => (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _insertWindow.Dispose();
            _insertAlertWindow.Dispose();
            DisposeDurability();
            DisposeLabels();
            _db.Dispose();
        }
    }

    private void CreateSchema()
    {
        Exec("""
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
            INSERT OR IGNORE INTO meta (key, value) VALUES ('last_seq', 0);
            CREATE TABLE IF NOT EXISTS windows (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                site_id TEXT NOT NULL, device_pseudonym TEXT NOT NULL, patient_pseudonym TEXT NOT NULL,
                window_end INTEGER NOT NULL, recorded_at INTEGER NOT NULL, features BLOB NOT NULL,
                model_version TEXT, predicted_class INTEGER, probs BLOB, alert_id TEXT,
                label INTEGER, label_action TEXT, labelled_at INTEGER,
                seq INTEGER);
            CREATE INDEX IF NOT EXISTS windows_unsealed ON windows (id) WHERE seq IS NULL;
            CREATE INDEX IF NOT EXISTS windows_seq ON windows (seq) WHERE seq IS NOT NULL;
            CREATE INDEX IF NOT EXISTS windows_alert ON windows (alert_id) WHERE alert_id IS NOT NULL;
            CREATE TABLE IF NOT EXISTS alert_windows (
                alert_id TEXT NOT NULL, window INTEGER NOT NULL, PRIMARY KEY (alert_id, window)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS alerts (
                alert_id TEXT PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL, site_id TEXT NOT NULL,
                device_pseudonym TEXT NOT NULL, started_at INTEGER NOT NULL, cleared_at INTEGER);
            CREATE TABLE IF NOT EXISTS label_rows (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                window_id TEXT NOT NULL, site_id TEXT NOT NULL, device_pseudonym TEXT NOT NULL, patient_pseudonym TEXT NOT NULL,
                window_end INTEGER NOT NULL, recorded_at INTEGER NOT NULL, alert_id TEXT,
                label INTEGER, label_action TEXT NOT NULL, labelled_at INTEGER NOT NULL,
                seq INTEGER);
            CREATE TABLE IF NOT EXISTS deltas (
                seq INTEGER PRIMARY KEY, delta_id TEXT NOT NULL UNIQUE, rows INTEGER NOT NULL, sha256 TEXT NOT NULL,
                bytes BLOB, size INTEGER NOT NULL, created_at INTEGER NOT NULL,
                acked_at INTEGER, status TEXT, dataset_version INTEGER, reason TEXT, attempts INTEGER NOT NULL DEFAULT 0);
            """);
    }

    private T Locked<T>(Func<T> f)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return f();
        }
    }

    private SqliteCommand Command(string sql, SqliteTransaction? tx = null)
    {
        var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    private sqlite3_stmt PrepareRaw(string sql)
    {
        Check(raw.sqlite3_prepare_v2(_db.Handle, sql, out var stmt), "prepare statement");
        return stmt;
    }

    private void Check(int rc, string what)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw new SqliteException($"edge store: {what} failed: {raw.sqlite3_errmsg(_db.Handle).utf8_to_string()} (SQLite code {rc})", rc);
        }
    }

    private void Exec(string sql, SqliteTransaction? tx = null)
    {
        using var cmd = Command(sql, tx);
        cmd.ExecuteNonQuery();
    }

    private long Scalar(string sql, SqliteTransaction? tx = null)
    {
        using var cmd = Command(sql, tx);
        var v = cmd.ExecuteScalar();
        return v is null or DBNull ? 0 : Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture);
    }
}
