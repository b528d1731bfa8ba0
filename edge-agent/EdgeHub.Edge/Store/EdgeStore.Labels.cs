using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SQLitePCL;

namespace EdgeHub.Edge.Store;

/// <summary>
/// A clinician's answer belongs to the alert, not only to the windows stored when it arrives: an alert raised in a device's
/// first seconds (before its first 10-s window) or still running when it is confirmed goes on producing windows. The label is
/// remembered per alert (table alert_labels, and in memory while the alert is open) and given to every window linked to the
/// alert later, in the same transaction that inserts the window.
/// </summary>
public sealed partial class EdgeStore
{
    /// <summary>Open alerts remembered in memory at most; beyond that, later windows of further alerts stay unlabelled (logged).</summary>
    private const int MaxRememberedLabels = 10_000;

    private readonly Dictionary<string, AlertLabel> _alertLabels = new(StringComparer.Ordinal);
    private sqlite3_stmt? _labelWindow;
    private bool _labelCapLogged;

    /// <param name="Closed">The alert ended before any window was linked to it: the entry goes once its window has it.</param>
    private readonly record struct AlertLabel(int? Label, string Action, long AtMicros, bool Closed = false);

    private void CreateLabelSchema() => Exec("""
        CREATE TABLE IF NOT EXISTS alert_labels (
            alert_id TEXT PRIMARY KEY, label INTEGER, label_action TEXT NOT NULL, labelled_at INTEGER NOT NULL) WITHOUT ROWID;
        """);

    /// <summary>Loads the labels of alerts still open (a restart must not forget them).</summary>
    private void LoadOpenAlertLabels()
    {
        using var cmd = Command("""
            SELECT l.alert_id, l.label, l.label_action, l.labelled_at FROM alert_labels l
            JOIN alerts a ON a.alert_id = l.alert_id WHERE a.cleared_at IS NULL
            """);
        using var r = cmd.ExecuteReader();
        while (r.Read() && _alertLabels.Count < MaxRememberedLabels)
        {
            _alertLabels[r.GetString(0)] = new AlertLabel(r.IsDBNull(1) ? null : r.GetInt32(1), r.GetString(2), r.GetInt64(3));
        }
    }

    /// <summary>Records the label of <paramref name="alertId"/> inside the caller's transaction (caller holds the lock).</summary>
    private void RememberLabel(SqliteTransaction tx, string alertId, int? label, string action, long atMicros)
    {
        using var cmd = Command("""
            INSERT OR REPLACE INTO alert_labels (alert_id, label, label_action, labelled_at) VALUES ($alert, $label, $action, $at)
            """, tx);
        cmd.Parameters.AddWithValue("$alert", alertId);
        cmd.Parameters.AddWithValue("$label", (object?)label ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$action", action);
        cmd.Parameters.AddWithValue("$at", atMicros);
        cmd.ExecuteNonQuery();
        var (keep, closed) = LabelNeed(alertId, tx);
        if (!keep)
        {
            _alertLabels.Remove(alertId);
        }
        else if (_alertLabels.Count < MaxRememberedLabels || _alertLabels.ContainsKey(alertId))
        {
            _alertLabels[alertId] = new AlertLabel(label, action, atMicros, closed);
        }
        else if (!_labelCapLogged)
        {
            _labelCapLogged = true;
            _logger.LogWarning("More than {Max} labelled alerts are open at once; later windows of further alerts will not inherit their label", MaxRememberedLabels);
        }
    }

    /// <summary>
    /// Gives the windows just linked to <paramref name="alertId"/> its remembered label (caller holds the lock): the label
    /// handler may answer before the store writer has linked the windows that led to the raise.
    /// </summary>
    private void ApplyRememberedLabel(string alertId)
    {
        if (_alertLabels.TryGetValue(alertId, out var l))
        {
            ApplyLabelLocked(alertId, l.Label, l.Action, l.AtMicros, remember: false);
        }
    }

    /// <summary>
    /// An alert ended: no later window will be linked to it, so its label need not be held in memory, unless no window was
    /// linked yet (raised and cleared within a device's first 10 s): its first window, still to come, carries it.
    /// </summary>
    private void ForgetLabel(string alertId)
    {
        if (!_alertLabels.TryGetValue(alertId, out var l))
        {
            return;
        }

        var (keep, closed) = LabelNeed(alertId, null);
        if (keep)
        {
            _alertLabels[alertId] = l with { Closed = closed };
        }
        else
        {
            _alertLabels.Remove(alertId);
        }
    }

    /// <summary>
    /// Whether windows still to come need the label of <paramref name="alertId"/> (caller holds the lock): an open alert's
    /// do; an ended one has had its windows, unless none was linked yet, when exactly one more (its next) is still to come.
    /// </summary>
    private (bool Keep, bool Closed) LabelNeed(string alertId, SqliteTransaction? tx)
    {
        using var cmd = Command("""
            SELECT a.cleared_at IS NOT NULL, EXISTS (SELECT 1 FROM alert_windows w WHERE w.alert_id = a.alert_id)
            FROM alerts a WHERE a.alert_id = $alert
            """, tx);
        cmd.Parameters.AddWithValue("$alert", alertId);
        using var r = cmd.ExecuteReader();
        if (!r.Read() || r.GetInt64(0) == 0)
        {
            return (true, false);
        }

        return r.GetInt64(1) == 0 ? (true, true) : (false, true);
    }

    /// <summary>Gives window <paramref name="rowId"/> the label of the first labelled alert it is linked to (inside the insert transaction).</summary>
    private void LabelIfAlertLabelled(WindowRecord record, long rowId)
    {
        if (_alertLabels.Count == 0)
        {
            return;
        }

        var labelled = false;
        foreach (var alertId in record.AlertIds)
        {
            if (_alertLabels.TryGetValue(alertId, out var l))
            {
                if (!labelled)
                {
                    WriteLabel(alertId, l, rowId);
                    labelled = true;
                }

                if (l.Closed)
                {
                    _alertLabels.Remove(alertId); // its one window is linked now
                }
            }
        }

        if (!labelled && record.AlertId is { } id && _alertLabels.TryGetValue(id, out var label))
        {
            WriteLabel(id, label, rowId);
        }
    }

    private void WriteLabel(string alertId, AlertLabel l, long rowId)
    {
        _labelWindow ??= PrepareRaw("""
            UPDATE windows SET alert_id = coalesce(alert_id, ?1), label = ?2, label_action = ?3, labelled_at = ?4 WHERE id = ?5
            """);
        raw.sqlite3_bind_text(_labelWindow, 1, alertId);
        if (l.Label is { } value)
        {
            raw.sqlite3_bind_int(_labelWindow, 2, value);
        }
        else
        {
            raw.sqlite3_bind_null(_labelWindow, 2);
        }

        raw.sqlite3_bind_text(_labelWindow, 3, l.Action);
        raw.sqlite3_bind_int64(_labelWindow, 4, l.AtMicros);
        raw.sqlite3_bind_int64(_labelWindow, 5, rowId);
        Step(_labelWindow, "label window of a labelled alert");
    }

    private void DisposeLabels() => _labelWindow?.Dispose();
}
