using System.Security.Cryptography;
using EdgeHub.Contracts;
using EdgeHub.Hub.Ingest;
using EdgeHub.Parquet;
using EdgeHub.Signals;
using EdgeHub.Simulator;

namespace EdgeHub.Cli.Demo;

/// <summary>
/// The curated starting dataset of a region: labelled windows of every rhythm class, computed by the same feature extractor
/// the edges run, over synthetic ECG with known rhythm. It stands in for the retrospective, expert-annotated data a hospital
/// starts from; the hub trains the region's first model from it, and the clinicians' labels take over from there.
/// </summary>
internal static class DemoSeed
{
    /// <summary>Pseudo-edge the seed is uploaded as (registered in its region like any edge).</summary>
    public static string EdgeId(string region) => "seed-" + region;

    /// <summary>Builds the seed delta (Parquet bytes, rows) for <paramref name="region"/>.</summary>
    public static (byte[] Bytes, int Rows) Build(string region, int devicesPerClass, int secondsPerDevice, int seed)
    {
        var schema = DeltaFileFormat.Schema;
        var classes = RhythmClasses.Count;
        var capacity = classes * devicesPerClass * secondsPerDevice;
        var batch = new ColumnBatch(schema, capacity);
        var features = new float[FeatureSchema.Count];
        var frame = new TelemetryFrame { PatientId = "seed", SiteId = "seed", Bed = "-" };
        var random = new Random(seed);
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        var row = 0;
        for (var c = 0; c < classes; c++)
        {
            EpisodeKind? episode = (RhythmClass)c switch
            {
                RhythmClass.AtrialFibrillation => EpisodeKind.AtrialFibrillation,
                RhythmClass.VentricularEctopy => EpisodeKind.Pvc,
                RhythmClass.VentricularTachycardia => EpisodeKind.VentricularTachycardia,
                RhythmClass.Bradycardia => EpisodeKind.Bradycardia,
                RhythmClass.Tachycardia => EpisodeKind.Tachycardia,
                _ => null,
            };
            for (var d = 0; d < devicesPerClass; d++)
            {
                var device = $"seed-{region}-{c}-{d}";
                var ecg = new SyntheticEcg(250, seed + (c * 1000) + d);
                var analyzer = new EcgStreamAnalyzer(250);
                for (var s = 0; s < secondsPerDevice; s++)
                {
                    var at = start.AddSeconds(s);
                    ecg.Generate(frame, at, 250, episode);
                    frame.Sequence = (uint)s;
                    frame.SpO2 = (byte)random.Next(94, 99);
                    frame.RespirationRate = (byte)random.Next(12, 20);
                    frame.Systolic = (ushort)random.Next(105, 140);
                    frame.Diastolic = (ushort)random.Next(65, 90);
                    frame.TemperatureC = 36.5f + (float)random.NextDouble();
                    analyzer.Append(frame);
                    if (!analyzer.WindowReady)
                    {
                        continue;
                    }

                    analyzer.WriteFeatures(features);
                    AddRow(batch, row++, region, device, at.AddSeconds(1), features, c);
                }
            }
        }

        batch.RowCount = row;
        return (DeltaFileFormat.Write(batch, ParquetCompression.Snappy), row);
    }

    private static void AddRow(ColumnBatch batch, int row, string region, string device, DateTimeOffset windowEnd, float[] features, int label)
    {
        var micros = (windowEnd.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
        for (var col = 0; col < DeltaSchema.Columns.Count; col++)
        {
            var column = DeltaSchema.Columns[col];
            var valid = true;
            switch (column.Name)
            {
                case "row_kind": batch.String(col)[row] = DeltaSchema.RowKindWindow; break;
                case "window_id": batch.String(col)[row] = $"{device}/{micros}"; break;
                case "edge_id": batch.String(col)[row] = EdgeId(region); break;
                case "site_id": batch.String(col)[row] = "seed"; break;
                case "device_pseudonym":
                case "patient_pseudonym": batch.String(col)[row] = "p_" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(device)))[..20]; break;
                case "window_end":
                case "recorded_at": batch.Int64(col)[row] = micros; break;
                case "label": batch.Int32(col)[row] = label; break;
                case "label_action": batch.String(col)[row] = "curated"; break;
                case "labelled_at": batch.Int64(col)[row] = micros; break;
                default:
                    if (col >= DeltaSchema.FirstFeatureColumn && col < DeltaSchema.FirstFeatureColumn + FeatureSchema.Count)
                    {
                        batch.Float(col)[row] = features[col - DeltaSchema.FirstFeatureColumn];
                    }
                    else
                    {
                        valid = false;
                    }

                    break;
            }

            if (column.Nullable)
            {
                batch.Valid(col)[row] = valid;
            }
        }
    }
}
