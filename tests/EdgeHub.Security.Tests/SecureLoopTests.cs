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
        var scan = new IdentifierScan([.. fx.PatientIds, .. fx.DeviceIds]);
        var outbox = 0;
        foreach (var delta in fx.Edge.Agent.Store.AllDeltas())
        {
            if (fx.Edge.Agent.Store.ReadDeltaBytes(delta.Sequence) is { } bytes)
            {
                scan.ScanParquet($"edge outbox delta {delta.Sequence}", bytes);
                outbox++;
            }
        }

        Assert.True(outbox >= 3, $"the edge outbox kept only {outbox} deltas to scan");
        Assert.NotEmpty(HubParquetFiles());
        scan.ScanTree(fx.Hub.Options.DatasetsRoot);
        Assert.True(scan.StringsRead > 0, "no string value was read: the scan looked at nothing");
        Assert.True(scan.Findings.Count == 0, "raw identifiers leaked:\n" + string.Join('\n', scan.Findings.Take(20)));
    }

    [Fact]
    public void Scanner_FindsARawIdWhenOneIsPlanted()
    {
        // The scan itself must be able to fail: a delta-shaped file with a raw patient id in a string column is caught.
        var schema = new ParquetSchema([new ParquetField("patient_pseudonym", ParquetType.String), new ParquetField("hr", ParquetType.Float)]);
        var batch = new ColumnBatch(schema, 1);
        batch.String(0)[0] = "ward-1/" + fx.PatientIds[0];
        batch.Float(1)[0] = 60;
        batch.RowCount = 1;
        using var stream = new MemoryStream();
        using (var writer = new ParquetWriter(stream, schema, new ParquetWriterOptions { Compression = ParquetCompression.Snappy }))
        {
            writer.Write(batch);
        }

        var scan = new IdentifierScan(fx.PatientIds);
        scan.ScanParquet("planted", stream.ToArray());
        Assert.Contains(scan.Findings, f => f.Contains("column patient_pseudonym row 0", StringComparison.Ordinal));
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
}
