using System.Text;
using EdgeHub.Parquet;
using EdgeHub.Security.Tests.Support;

namespace EdgeHub.Security.Tests;

/// <summary>
/// What the secure loop wrote: every delta the edge sent is committed at the hub, row for row, and no raw patient (or
/// device) identifier appears in any delta — neither in the edge's outbox nor in the hub's Delta tables, read column by
/// column with EdgeHub.Parquet and scanned byte by byte (footer, statistics, key/value metadata, logs).
/// </summary>
[Collection("secure-loop")]
public sealed class SecureLoopTests(SecureLoopFixture fx)
{
    [Fact]
    public void Loop_OverTlsWithLogins_CommitsEveryRowTheEdgeSent()
    {
        Assert.True(fx.FramesSent > 0, "the fleet sent no frame");
        var deltas = fx.Edge.Agent.Store.AllDeltas();
        Assert.True(deltas.Count >= 3, $"only {deltas.Count} deltas sealed");
        var rowsSent = deltas.Sum(d => (long)d.Rows);
        var rowsCommitted = HubParquetFiles().Sum(f => RowsOfEdge(File.ReadAllBytes(f), EdgeRig.EdgeId));
        Assert.True(rowsSent > 0, "the deltas hold no rows");
        Assert.Equal(rowsSent, rowsCommitted);
        Assert.All(deltas, d => Assert.NotEqual("rejected", d.Status));
        Assert.Equal(0, fx.Edge.Agent.Store.UnackedCount);
    }

    [Fact]
    public void NoDelta_AtTheEdgeOrTheHub_HoldsARawPatientOrDeviceId()
    {
        var files = new List<(string Name, byte[] Bytes)>();
        foreach (var delta in fx.Edge.Agent.Store.AllDeltas())
        {
            if (fx.Edge.Agent.Store.ReadDeltaBytes(delta.Sequence) is { } bytes)
            {
                files.Add(($"edge outbox delta {delta.Sequence}", bytes));
            }
        }

        Assert.True(files.Count >= 3, $"the edge outbox kept only {files.Count} deltas to scan");
        var hubFiles = HubParquetFiles();
        Assert.NotEmpty(hubFiles);
        files.AddRange(hubFiles.Select(f => ($"hub table file {Path.GetRelativePath(fx.Hub.DataRoot, f)}", File.ReadAllBytes(f))));

        string[] forbidden = [.. fx.PatientIds, .. fx.DeviceIds];
        var findings = new List<string>();
        var stringsRead = 0L;
        foreach (var (name, bytes) in files)
        {
            using var reader = new ParquetReader(bytes);
            var batch = reader.ReadAll();
            for (var c = 0; c < batch.Schema.Fields.Count; c++)
            {
                if (batch.Schema.Fields[c].Type != ParquetType.String)
                {
                    continue;
                }

                var column = batch.String(c);
                for (var r = 0; r < batch.RowCount; r++)
                {
                    stringsRead++;
                    if (column[r] is { } value && forbidden.FirstOrDefault(id => value.Contains(id, StringComparison.OrdinalIgnoreCase)) is { } hit)
                    {
                        findings.Add($"{name}: column {batch.Schema.Fields[c].Name} row {r} = '{value}' holds '{hit}'");
                    }
                }
            }

            foreach (var (key, value) in reader.Metadata)
            {
                if (forbidden.FirstOrDefault(id => (key + value).Contains(id, StringComparison.OrdinalIgnoreCase)) is { } hit)
                {
                    findings.Add($"{name}: key/value metadata '{key}' holds '{hit}'");
                }
            }

            findings.AddRange(RawHits(name, bytes, forbidden));
        }

        foreach (var log in Directory.EnumerateFiles(fx.Hub.Options.DatasetsRoot, "*.json", SearchOption.AllDirectories))
        {
            findings.AddRange(RawHits(log, File.ReadAllBytes(log), forbidden));
        }

        Assert.True(stringsRead > 0, "no string value was read: the scan looked at nothing");
        Assert.True(findings.Count == 0, "raw identifiers leaked:\n" + string.Join('\n', findings.Take(20)));
    }

    [Fact]
    public void Scanner_FindsARawIdWhenOneIsPlanted()
    {
        // The scan itself must be able to fail: a delta-shaped file with a raw patient id in a string column is caught.
        var schema = new ParquetSchema([new ParquetField("patient_pseudonym", ParquetType.String), new ParquetField("hr", ParquetType.Float)]);
        var batch = new ColumnBatch(schema, 1);
        batch.String(0)[0] = fx.PatientIds[0];
        batch.Float(1)[0] = 60;
        batch.RowCount = 1;
        using var stream = new MemoryStream();
        using (var writer = new ParquetWriter(stream, schema, new ParquetWriterOptions { Compression = ParquetCompression.None }))
        {
            writer.Write(batch);
        }

        using var reader = new ParquetReader(stream.ToArray());
        Assert.Equal(fx.PatientIds[0], reader.ReadAll().String(0)[0]);
        Assert.NotEmpty(RawHits("planted", stream.ToArray(), [fx.PatientIds[0]])); // an uncompressed page carries it in clear
    }

    private string[] HubParquetFiles() =>
        Directory.Exists(fx.Hub.Options.DatasetsRoot)
            ? Directory.GetFiles(fx.Hub.Options.DatasetsRoot, "*.parquet", SearchOption.AllDirectories)
            : [];

    private static long RowsOfEdge(byte[] parquet, string edgeId)
    {
        using var reader = new ParquetReader(parquet);
        var batch = reader.ReadAll(["edge_id"]);
        var column = batch.String(0);
        var rows = 0L;
        for (var r = 0; r < batch.RowCount; r++)
        {
            rows += column[r] == edgeId ? 1 : 0;
        }

        return rows;
    }

    /// <summary>Occurrences of any id in the raw bytes (UTF-8, case-insensitive on ASCII).</summary>
    private static IEnumerable<string> RawHits(string name, byte[] bytes, IEnumerable<string> ids)
    {
        var lower = Encoding.Latin1.GetString(bytes).ToLowerInvariant();
        foreach (var id in ids)
        {
            var at = lower.IndexOf(id.ToLowerInvariant(), StringComparison.Ordinal);
            if (at >= 0)
            {
                yield return $"{name}: raw bytes hold '{id}' at offset {at}";
            }
        }
    }
}
