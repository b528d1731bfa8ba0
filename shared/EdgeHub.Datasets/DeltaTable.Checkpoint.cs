using System.Globalization;
using System.Text.Json;
using EdgeHub.Datasets.Log;
using Microsoft.Extensions.Logging;
using EdgeHub.Common;

namespace EdgeHub.Datasets;

public sealed partial class DeltaTable
{
    private long _lastCheckpoint = -1;

    private string CheckpointPath(long version) =>
        System.IO.Path.Combine(LogPath, version.ToString("D20", CultureInfo.InvariantCulture) + ".checkpoint.parquet");

    private string LastCheckpointPath => System.IO.Path.Combine(LogPath, "_last_checkpoint");

    /// <summary>
    /// Writes a checkpoint of the latest version (a Parquet file per the Delta protocol) and points <c>_last_checkpoint</c>
    /// at it, so loading the table reads one file plus the commits after it. Returns the checkpointed version.
    /// </summary>
    public long Checkpoint()
    {
        Refresh();
        lock (_sync)
        {
            var version = _state.Version;
            var target = CheckpointPath(version);
            if (!File.Exists(target))
            {
                using var ms = new MemoryStream();
                CheckpointFile.Write(ms, _state);
                DeltaLogFiles.TryPublish(target, ms.ToArray());
            }
            // _last_checkpoint is a hint (readers fall back to listing); replace it atomically, never moving it backwards.
            var current = ReadLastCheckpoint();
            if (current is null || current < version)
            {
                var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, long> { ["version"] = version, ["size"] = _state.Files.Count + _state.Txns.Count + _state.Tombstones.Count + 2 });
                AtomicFile.Write(LastCheckpointPath, json);
            }
            _lastCheckpoint = Math.Max(_lastCheckpoint, version);
            return version;
        }
    }

    private long? ReadLastCheckpoint()
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(LastCheckpointPath));
            return doc.RootElement.GetProperty("version").GetInt64();
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return null;
        }
    }

    private void MaybeCheckpoint(long version)
    {
        if (_options.CheckpointInterval <= 0) return;
        if (_lastCheckpoint < 0) _lastCheckpoint = ReadLastCheckpoint() ?? 0;
        if (version - _lastCheckpoint < _options.CheckpointInterval) return;
        try
        {
            Checkpoint();
        }
        catch (IOException e)
        {
            // A checkpoint is an optimisation; the commit already succeeded.
            _logger.LogWarning(e, "checkpoint of table {Region} at version {Version} failed", Region, version);
        }
    }

    /// <summary>Loads the state from the newest checkpoint named by _last_checkpoint (falls back to full replay).</summary>
    private void LoadFromCheckpoint()
    {
        var v = ReadLastCheckpoint();
        if (v is null) return;
        var loaded = TryLoadCheckpoint(v.Value);
        if (loaded is null) return;
        _state = loaded;
        _lastCheckpoint = v.Value;
    }

    private TableState? LoadCheckpointAtOrBelow(long version)
    {
        if (!Directory.Exists(LogPath)) return null;
        long best = -1;
        foreach (var f in Directory.EnumerateFiles(LogPath, "*.checkpoint.parquet"))
        {
            var name = System.IO.Path.GetFileName(f);
            if (long.TryParse(name.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v <= version && v > best) best = v;
        }
        return best < 0 ? null : TryLoadCheckpoint(best);
    }

    private TableState? TryLoadCheckpoint(long version)
    {
        var path = CheckpointPath(version);
        if (!File.Exists(path)) return null;
        try
        {
            var commit = DeltaLogFiles.CommitPath(LogPath, version);
            var ts = File.Exists(commit)
                ? CommitActions.Parse(File.ReadAllBytes(commit), commit).Timestamp
                : new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero).ToUnixTimeMilliseconds();
            return CheckpointFile.Read(path, version, ts);
        }
        catch (Exception e) when (e is Parquet.ParquetFormatException or DatasetException or IOException)
        {
            _logger.LogWarning(e, "checkpoint {Path} is unreadable; replaying the JSON log instead", path);
            return null;
        }
    }
}
