using System.Security.Cryptography;
using EdgeHub.Contracts;
using EdgeHub.Hub.Ingest;
using EdgeHub.Learning.Data;
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

    /// <summary>
    /// Builds the seed delta (Parquet bytes, rows) for <paramref name="region"/>: the synthetic patients, plus
    /// <paramref name="records"/> (real annotated patients, e.g. MIT-BIH through <see cref="WfdbSeed"/>) when given. Each
    /// patient has its own pseudonym, so the hub's patient holdout keeps every record wholly in training or in holdout.
    /// </summary>
    public static (byte[] Bytes, int Rows) Build(string region, int devicesPerClass, int secondsPerDevice, int seed, IReadOnlyList<SeedWindows>? records = null)
    {
        var patients = Synthetic(region, devicesPerClass, secondsPerDevice, seed);
        patients.AddRange(records ?? []);
        var batch = new ColumnBatch(DeltaFileFormat.Schema, patients.Sum(p => p.Count));
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        var row = 0;
        foreach (var p in patients)
        {
            for (var i = 0; i < p.Count; i++)
            {
                AddRow(batch, row++, region, p.Patient, start.AddTicks(p.WindowEndMicros[i] * 10), p.Row(i), p.Labels[i]);
            }
        }

        batch.RowCount = row;
        return (DeltaFileFormat.Write(batch, ParquetCompression.Snappy), row);
    }

    /// <summary>
    /// The real patients for the seed datasets: every trainable record of <paramref name="directory"/> (see
    /// <see cref="WfdbSeed.Trainable"/>), or none when no folder was given; says on <paramref name="output"/> which it is.
    /// </summary>
    /// <exception cref="ArgumentException">The folder holds no readable annotated records.</exception>
    public static IReadOnlyList<SeedWindows> RealPatients(string? directory, TextWriter output, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(directory))
        {
            output.WriteLine("demo: seed datasets from synthetic patients only (add real ones with --seed-records DIR, e.g. ../shared/data/mitdb)");
            return [];
        }

        List<WfdbWindowSet> sets;
        try
        {
            sets = WfdbSeed.ReadAll(directory, ct: ct);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"--seed-records '{directory}': {ex.Message}", ex);
        }

        var used = sets.Where(WfdbSeed.Trainable).ToList();
        var left = sets.Where(s => !WfdbSeed.Trainable(s)).Select(s => s.Reference.Record).ToList();
        output.WriteLine($"demo: seed datasets add {used.Count} annotated records ({used.Sum(s => s.Windows.Count)} windows) from {directory}"
            + (left.Count > 0 ? $"; left out {string.Join(", ", left)} (atrial fibrillation without rhythm labels in these copies)" : ""));
        return [.. used.Select(s => s.Windows)];
    }

    /// <summary>
    /// The synthetic patients of a region's seed: <paramref name="devicesPerClass"/> simulated devices per rhythm class, each
    /// <paramref name="secondsPerDevice"/> seconds of ECG through the edge's analyzer, every window labelled with its class.
    /// </summary>
    public static List<SeedWindows> Synthetic(string region, int devicesPerClass, int secondsPerDevice, int seed)
    {
        var classes = RhythmClasses.Count;
        var patients = new List<SeedWindows>(classes * devicesPerClass);
        var features = new float[FeatureSchema.Count];
        var frame = new TelemetryFrame { PatientId = "seed", SiteId = "seed", Bed = "-" };
        var random = new Random(seed);
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
                var ecg = new SyntheticEcg(250, seed + (c * 1000) + d);
                var analyzer = new EcgStreamAnalyzer(250);
                var rows = new List<float>();
                var ends = new List<long>();
                for (var s = 0; s < secondsPerDevice; s++)
                {
                    ecg.Generate(frame, DateTimeOffset.UnixEpoch.AddSeconds(s), 250, episode);
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
                    rows.AddRange(features);
                    ends.Add((s + 1) * 1_000_000L);
                }

                patients.Add(new SeedWindows($"seed-{region}-{c}-{d}", [.. rows], Enumerable.Repeat(c, ends.Count).ToArray(), [.. ends]));
            }
        }

        return patients;
    }

    private static void AddRow(ColumnBatch batch, int row, string region, string device, DateTimeOffset windowEnd, ReadOnlySpan<float> features, int label)
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
