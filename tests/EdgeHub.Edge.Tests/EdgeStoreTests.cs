using System.Security.Cryptography;
using EdgeHub.Contracts;
using EdgeHub.Edge.Store;
using EdgeHub.Edge.Tests.Support;
using EdgeHub.Parquet;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeHub.Edge.Tests;

public class EdgeStoreTests
{
    private static WindowRecord[] Rows(int count, long startMicros, string device = "p_dev", bool predicted = true)
    {
        var rows = new WindowRecord[count];
        for (var i = 0; i < count; i++)
        {
            var r = new WindowRecord
            {
                SiteId = "ward-1",
                DevicePseudonym = device,
                PatientPseudonym = "p_pat",
                WindowEndMicros = startMicros + (i * 1_000_000L),
                RecordedAtMicros = startMicros + (i * 1_000_000L) + 5,
            };
            for (var f = 0; f < FeatureSchema.Count; f++)
            {
                r.Features[f] = i + (f / 100f);
            }

            if (predicted)
            {
                r.PredictedClass = 1;
                r.ModelVersion = "m1";
                r.Probabilities[1] = 0.75f;
                r.Probabilities[0] = 0.25f;
            }

            rows[i] = r;
        }

        return rows;
    }

    /// <summary>A store writer that never seals on its own (only <see cref="StoreWriter.FlushAsync"/> seals).</summary>
    private static StoreWriter UnsealingWriter(EdgeStore store) =>
        new(store, new SealingOptions { MaxRows = 1_000_000, MaxSeconds = 3600 }, 1024, NullLogger.Instance);

    private static void Insert(EdgeStore store, WindowRecord[] rows) => store.InsertWindows(rows, new long[rows.Length]);

    /// <summary>Seals a delta and returns the window ends of its labelled rows, each checked to carry <paramref name="alertId"/>'s label.</summary>
    private static List<long> SealLabelledWindowEnds(EdgeStore store, string alertId, RhythmClass expected)
    {
        var delta = store.TrySeal(100, ParquetCompression.Snappy, 10)!;
        var batch = Read(store.ReadDeltaBytes(delta.Sequence)!, out _);
        var label = DeltaSchema.IndexOf("label");
        var labelled = new List<long>();
        for (var r = 0; r < batch.RowCount; r++)
        {
            if (!batch.IsNull(label, r))
            {
                Assert.Equal((int)expected, batch.Int32(label)[r]);
                Assert.Equal(alertId, batch.String(DeltaSchema.IndexOf("alert_id"))[r]);
                labelled.Add(batch.Int64(DeltaSchema.IndexOf("window_end"))[r]);
            }
        }

        return labelled;
    }

    private static ColumnBatch Read(byte[] bytes, out IReadOnlyDictionary<string, string> meta)
    {
        using var reader = new ParquetReader(bytes);
        meta = reader.Metadata;
        return reader.ReadAll();
    }

    [Fact]
    public void TrySeal_AllocatesConsecutiveSequencesAndFreezesExactRows()
    {
        using var dir = new TempDir();
        using var store = new EdgeStore(Path.Combine(dir.Path, "e.db"), "edge-7", NullLogger.Instance);
        Insert(store, Rows(250, 1_000_000_000));
        var a = store.TrySeal(100, ParquetCompression.Snappy, 10)!;
        var b = store.TrySeal(100, ParquetCompression.Snappy, 10)!;
        var c = store.TrySeal(100, ParquetCompression.Snappy, 10)!;
        Assert.Null(store.TrySeal(100, ParquetCompression.Snappy, 10));
        Assert.Equal([1L, 2L, 3L], [a.Sequence, b.Sequence, c.Sequence]);
        Assert.Equal([100, 100, 50], [a.Rows, b.Rows, c.Rows]);
        Assert.Equal(0, store.PendingRows);

        var ids = new HashSet<string>();
        foreach (var d in new[] { a, b, c })
        {
            var bytes = store.ReadDeltaBytes(d.Sequence)!;
            Assert.Equal(d.Sha256, Convert.ToHexStringLower(SHA256.HashData(bytes)));
            var batch = Read(bytes, out var meta);
            Assert.Equal(DeltaSchema.Id, meta["edgehub.schema"]);
            Assert.Equal(d.DeltaId, meta["edgehub.delta_id"]);
            Assert.Equal(d.Rows, batch.RowCount);
            var windowIds = batch.String(DeltaSchema.IndexOf("window_id"));
            for (var r = 0; r < batch.RowCount; r++)
            {
                Assert.True(ids.Add(windowIds[r]!), $"window {windowIds[r]} appears in two deltas");
                Assert.Equal("window", batch.String(0)[r]);
                Assert.Equal("edge-7", batch.String(DeltaSchema.IndexOf("edge_id"))[r]);
                Assert.Equal(0.75f, batch.Float(DeltaSchema.IndexOf("p_af"))[r]);
                Assert.Equal(1, batch.Int32(DeltaSchema.IndexOf("predicted_class"))[r]);
                Assert.True(batch.IsNull(DeltaSchema.IndexOf("label"), r));
            }
        }

        Assert.Equal(250, ids.Count);
    }

    [Fact]
    public void TrySeal_AfterReopen_ContinuesSequenceAndKeepsFrozenBytes()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "e.db");
        SealedDelta first;
        byte[] firstBytes;
        using (var store = new EdgeStore(path, "edge-7", NullLogger.Instance))
        {
            Insert(store, Rows(30, 0));
            first = store.TrySeal(100, ParquetCompression.Snappy, 10)!;
            firstBytes = store.ReadDeltaBytes(first.Sequence)!;
            Insert(store, Rows(5, 100_000_000));
        }

        using (var store = new EdgeStore(path, "edge-7", NullLogger.Instance))
        {
            Assert.Equal(5, store.PendingRows);
            Assert.Equal(1, store.LastSequence);
            Assert.Equal(firstBytes, store.ReadDeltaBytes(1));
            var unacked = Assert.Single(store.Unacked(10));
            Assert.Equal(first.DeltaId, unacked.DeltaId);
            var second = store.TrySeal(100, ParquetCompression.Snappy, 10)!;
            Assert.Equal(2, second.Sequence);
            Assert.Equal(5, second.Rows);
        }
    }

    [Fact]
    public void RecordAck_CommittedSettlesOnlyTheMatchingDelta()
    {
        using var dir = new TempDir();
        using var store = new EdgeStore(Path.Combine(dir.Path, "e.db"), "edge-7", NullLogger.Instance);
        Insert(store, Rows(20, 0));
        var a = store.TrySeal(10, ParquetCompression.None, 10)!;
        var b = store.TrySeal(10, ParquetCompression.None, 10)!;
        Assert.False(store.RecordAck(a.Sequence, "someone-else", "committed", 1, null));
        Assert.True(store.RecordAck(a.Sequence, a.DeltaId, "committed", 4, null));
        Assert.False(store.RecordAck(a.Sequence, a.DeltaId, "duplicate", 4, null));
        Assert.Equal(b.Sequence, Assert.Single(store.Unacked(10)).Sequence);
        Assert.True(store.RecordAck(b.Sequence, b.DeltaId, "held", null, "gap"));
        Assert.Single(store.Unacked(10));
        Assert.True(store.RecordAck(b.Sequence, b.DeltaId, "rejected", null, "bad schema"));
        Assert.Empty(store.Unacked(10));
        Assert.Equal(0, store.UnackedCount);
    }

    [Fact]
    public void TrySeal_StopsAtMaxUnackedDeltas()
    {
        using var dir = new TempDir();
        using var store = new EdgeStore(Path.Combine(dir.Path, "e.db"), "edge-7", NullLogger.Instance);
        Insert(store, Rows(50, 0));
        Assert.NotNull(store.TrySeal(10, ParquetCompression.None, 2));
        Assert.NotNull(store.TrySeal(10, ParquetCompression.None, 2));
        Assert.Null(store.TrySeal(10, ParquetCompression.None, 2));
        Assert.Equal(30, store.PendingRows);
    }

    [Fact]
    public void ApplyLabel_LabelsUnsealedInPlaceAndSealedAsLabelRows()
    {
        using var dir = new TempDir();
        using var store = new EdgeStore(Path.Combine(dir.Path, "e.db"), "edge-7", NullLogger.Instance);
        Insert(store, Rows(10, 0));
        store.RecordAlert("al-1", "af", "model", "ward-1", "p_dev", 0);
        Assert.Equal(10, store.AssignAlert("al-1", "p_dev", 0, 9_000_000));
        var sealedFirst = store.TrySeal(6, ParquetCompression.Snappy, 10)!; // windows 0-5 sealed, 6-9 not
        Assert.Equal("af", store.AlertKindOf("al-1"));
        Assert.Equal(10, store.ApplyLabel("al-1", (int)RhythmClass.AtrialFibrillation, "confirm", DateTimeOffset.UtcNow));

        var next = store.TrySeal(100, ParquetCompression.Snappy, 10)!;
        var batch = Read(store.ReadDeltaBytes(next.Sequence)!, out _);
        Assert.Equal(10, batch.RowCount); // 4 labelled windows + 6 label rows for the sealed ones
        var kinds = batch.String(0);
        var labelCol = DeltaSchema.IndexOf("label");
        var windows = 0;
        var labels = 0;
        var sealedIds = new HashSet<string?>(Read(store.ReadDeltaBytes(sealedFirst.Sequence)!, out _).String(1).Take(6));
        for (var r = 0; r < batch.RowCount; r++)
        {
            Assert.Equal((int)RhythmClass.AtrialFibrillation, batch.Int32(labelCol)[r]);
            Assert.Equal("confirm", batch.String(DeltaSchema.IndexOf("label_action"))[r]);
            Assert.Equal("al-1", batch.String(DeltaSchema.IndexOf("alert_id"))[r]);
            if (kinds[r] == "label")
            {
                labels++;
                Assert.Contains(batch.String(1)[r], sealedIds);
                Assert.True(batch.IsNull(DeltaSchema.FirstFeatureColumn, r));
            }
            else
            {
                windows++;
            }
        }

        Assert.Equal((4, 6), (windows, labels));
    }

    [Fact]
    public void ApplyLabel_BeforeTheAlertHasWindows_LabelsItsLaterWindowsAlsoAfterReopen()
    {
        using var dir = new TempDir();
        var path = Path.Combine(dir.Path, "e.db");
        using (var store = new EdgeStore(path, "edge-7", NullLogger.Instance))
        {
            // Raised in the device's first seconds: no window exists yet when the clinician confirms.
            store.RecordAlert("al-2", "hr_high", "safety", "ward-1", "p_dev", 0);
            Assert.Equal(0, store.ApplyLabel("al-2", (int)RhythmClass.Tachycardia, "confirm", DateTimeOffset.UtcNow));
            var later = Rows(3, 10_000_000);
            foreach (var r in later)
            {
                r.AlertIds.Add("al-2");
            }

            Insert(store, later);
            Insert(store, Rows(2, 20_000_000)); // not linked to the alert: stays unlabelled
        }

        using (var store = new EdgeStore(path, "edge-7", NullLogger.Instance))
        {
            // After a restart the open alert still remembers its label.
            var more = Rows(2, 30_000_000);
            more[0].AlertIds.Add("al-2");
            Insert(store, more);
            store.ClearAlert("al-2", 40_000_000);
            var after = Rows(1, 50_000_000);
            after[0].AlertIds.Add("al-2"); // linked after clear (cannot happen in the agent): the label is no longer held
            Insert(store, after);

            Assert.Equal([10_000_000L, 11_000_000L, 12_000_000L, 30_000_000L], SealLabelledWindowEnds(store, "al-2", RhythmClass.Tachycardia));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ApplyLabel_AlertRaisedAndClearedBeforeTheDevicesFirstWindow_LabelsThatWindowOnly(bool labelBeforeClear)
    {
        using var dir = new TempDir();
        using var store = new EdgeStore(Path.Combine(dir.Path, "e.db"), "edge-7", NullLogger.Instance);
        // A bradycardia in the device's first seconds: raised and cleared before its first 10-s window exists.
        store.RecordAlert("al-5", "hr_low", "safety", "ward-1", "p_dev", 2_000_000);
        if (labelBeforeClear)
        {
            Assert.Equal(0, store.ApplyLabel("al-5", (int)RhythmClass.Bradycardia, "confirm", DateTimeOffset.UtcNow));
        }

        store.ClearAlert("al-5", 8_000_000);
        if (!labelBeforeClear)
        {
            Assert.Equal(0, store.ApplyLabel("al-5", (int)RhythmClass.Bradycardia, "confirm", DateTimeOffset.UtcNow));
        }

        // The first window covers the episode: the agent links it (AlertTracker.CopyWindowAlertIds) and it takes the label.
        var first = Rows(1, 10_000_000);
        first[0].AlertIds.Add("al-5");
        Insert(store, first);
        var later = Rows(1, 11_000_000);
        later[0].AlertIds.Add("al-5"); // linked again (the agent does not): the ended alert's label is no longer held
        Insert(store, later);

        Assert.Equal([10_000_000L], SealLabelledWindowEnds(store, "al-5", RhythmClass.Bradycardia));
    }

    [Fact]
    public void ApplyLabel_BeforeTheWriterLinksTheRaisingWindows_LabelsThemWhenLinked_Once()
    {
        using var dir = new TempDir();
        using var store = new EdgeStore(Path.Combine(dir.Path, "e.db"), "edge-7", NullLogger.Instance);
        Insert(store, Rows(5, 0));
        var sealedFirst = store.TrySeal(3, ParquetCompression.Snappy, 10)!; // windows 0-2 sealed
        store.RecordAlert("al-3", "af", "model", "ward-1", "p_dev", 0);
        // The label handler answers before the store writer ran the raise's AssignAlert.
        Assert.Equal(0, store.ApplyLabel("al-3", (int)RhythmClass.AtrialFibrillation, "confirm", DateTimeOffset.UtcNow));
        Assert.Equal(5, store.AssignAlert("al-3", "p_dev", 0, 4_000_000));
        Assert.Equal(0, store.AssignAlert("al-3", "p_dev", 0, 4_000_000)); // linking again adds nothing and labels nothing twice

        var next = store.TrySeal(100, ParquetCompression.Snappy, 10)!;
        var batch = Read(store.ReadDeltaBytes(next.Sequence)!, out _);
        var label = DeltaSchema.IndexOf("label");
        var kinds = batch.String(0);
        var (windows, labels) = (0, 0);
        for (var r = 0; r < batch.RowCount; r++)
        {
            Assert.Equal((int)RhythmClass.AtrialFibrillation, batch.Int32(label)[r]);
            _ = kinds[r] == "label" ? labels++ : windows++;
        }

        Assert.Equal((2, 3), (windows, labels)); // 2 unsealed windows labelled in place, one label row per sealed window
        Assert.NotNull(sealedFirst);
    }

    [Fact]
    public void EnforceQuota_DropsOldestUnlabelledFirstAndKeepsLabelled()
    {
        using var dir = new TempDir();
        using var store = new EdgeStore(Path.Combine(dir.Path, "e.db"), "edge-7", NullLogger.Instance);
        Insert(store, Rows(200, 0, device: "p_labelled"));
        store.RecordAlert("al-9", "tachy", "model", "ward-1", "p_labelled", 0);
        store.AssignAlert("al-9", "p_labelled", 0, 199_000_000);
        store.ApplyLabel("al-9", (int)RhythmClass.Tachycardia, "confirm", DateTimeOffset.UtcNow);
        for (var i = 0; i < 20; i++)
        {
            Insert(store, Rows(500, 1_000_000_000 + (i * 500_000_000L), device: "p_other"));
        }

        var before = store.UsedBytes;
        var result = store.EnforceQuota(before / 3, TimeSpan.FromHours(1));
        Assert.True(result.UnsentRowsDropped > 0);
        Assert.True(store.UsedBytes <= before / 3, $"used {store.UsedBytes} > quota {before / 3}");
        Assert.Equal(result.UnsentRowsDropped, store.DroppedRows);
        // Every labelled window survived; the unlabelled ones that survived are the newest.
        var sealedDelta = store.TrySeal(100_000, ParquetCompression.None, 10)!;
        var batch = Read(store.ReadDeltaBytes(sealedDelta.Sequence)!, out _);
        var labelled = 0;
        long oldestOther = long.MaxValue;
        for (var r = 0; r < batch.RowCount; r++)
        {
            if (!batch.IsNull(DeltaSchema.IndexOf("label"), r))
            {
                labelled++;
            }
            else
            {
                oldestOther = Math.Min(oldestOther, batch.Int64(DeltaSchema.IndexOf("window_end"))[r]);
            }
        }

        Assert.Equal(200, labelled);
        Assert.True(oldestOther > 1_000_000_000, "the oldest unlabelled windows should have been dropped first");
    }

    [Fact]
    public void EnforceQuota_RemovesAcknowledgedRowsBeforeUnsentOnes()
    {
        using var dir = new TempDir();
        using var store = new EdgeStore(Path.Combine(dir.Path, "e.db"), "edge-7", NullLogger.Instance);
        Insert(store, Rows(3000, 0));
        var acked = store.TrySeal(3000, ParquetCompression.None, 10)!;
        store.RecordAck(acked.Sequence, acked.DeltaId, "committed", 1, null);
        Insert(store, Rows(500, 10_000_000_000));
        var result = store.EnforceQuota(store.UsedBytes / 2, TimeSpan.FromHours(1));
        Assert.Equal(3000, result.AckedRowsRemoved);
        Assert.Equal(0, result.UnsentRowsDropped);
        Assert.Equal(500, store.PendingRows);
        Assert.Null(store.ReadDeltaBytes(acked.Sequence));
    }

    [Fact]
    public async Task StoreWriter_AnOperationSeesEveryRecordQueuedBeforeIt_AndNoneQueuedAfter()
    {
        using var dir = new TempDir();
        using var store = new EdgeStore(Path.Combine(dir.Path, "e.db"), "edge-7", NullLogger.Instance);
        var writer = UnsealingWriter(store);
        await using (writer)
        {
            // More records than one batch, then an operation, then more records: the operation must run between them.
            var seen = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            foreach (var r in Rows(2500, 0))
            {
                writer.Enqueue(r);
            }

            writer.Post(s => seen.TrySetResult(s.PendingRows));
            foreach (var r in Rows(700, 10_000_000_000))
            {
                writer.Enqueue(r);
            }

            Assert.Equal(2500, await seen.Task.WaitAsync(TimeSpan.FromSeconds(30)));
            await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(3200, writer.Written);
            Assert.Equal(0, writer.Overflow);
        }
    }

    [Fact]
    public async Task StoreWriter_ALabelledAlertClearedRightAfterItsLastWindow_StillLabelsThatWindow()
    {
        using var dir = new TempDir();
        using var store = new EdgeStore(Path.Combine(dir.Path, "e.db"), "edge-7", NullLogger.Instance);
        var writer = UnsealingWriter(store);
        await using (writer)
        {
            writer.Post(s =>
            {
                s.RecordAlert("al-9", "hr_high", "safety", "ward-1", "p_dev", 0);
                s.ApplyLabel("al-9", (int)RhythmClass.Tachycardia, "confirm", DateTimeOffset.UtcNow);
            });
            var rows = Rows(1500, 0);
            foreach (var r in rows)
            {
                r.AlertIds.Add("al-9");
                writer.Enqueue(r);
            }

            // The inference thread queues the clear right behind the alert's last window.
            writer.Post(s => s.ClearAlert("al-9", 2_000_000_000));
            await writer.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        var labelled = 0;
        for (var seq = 1L; store.ReadDeltaBytes(seq) is { } bytes; seq++)
        {
            var batch = Read(bytes, out _);
            var label = DeltaSchema.IndexOf("label");
            for (var r = 0; r < batch.RowCount; r++)
            {
                labelled += batch.IsNull(label, r) ? 0 : 1;
            }
        }

        Assert.Equal(1500, labelled);
    }
}
