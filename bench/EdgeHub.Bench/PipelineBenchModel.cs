using System.Diagnostics;
using EdgeHub.Contracts;
using EdgeHub.Learning.Data;
using EdgeHub.Learning.Export;
using EdgeHub.Learning.Training;
using EdgeHub.Signals;
using EdgeHub.Simulator;

namespace EdgeHub.Bench;

/// <summary>
/// The model the pipeline bench serves: the hub's trainer (<see cref="MlpTrainer"/>, 32-64-32-6) fitted on labelled windows
/// the simulator generates (default-scenario patients with their ground truth, features from the same
/// <see cref="EcgStreamAnalyzer"/> the edge runs), exported through <see cref="ModelExporter"/> like a hub model. A
/// random-weights network would call arrhythmia on nearly every device and turn the bench into an alert-storm test; a
/// trained one raises alerts where the fleet's scripted episodes are, as a deployed edge would. Takes a few seconds.
/// </summary>
internal static class PipelineBenchModel
{
    private const int SampleRate = 250;

    /// <summary>ONNX bytes of a model trained on simulator data, with version <paramref name="version"/> in its metadata.</summary>
    public static byte[] Train(string version, string region, TextWriter log)
    {
        var clock = Stopwatch.StartNew();
        var (features, labels) = Generate(seed: 7);
        var n = labels.Length;
        var set = new TrainingSet(features, labels, new bool[n], new bool[n], HoldoutDefinition.Default, datasetVersion: 1);
        var result = MlpTrainer.TrainFull(set, TrainerOptions.Mlp with { Epochs = 8 });
        log.WriteLine($"bench model: {result.Model.Architecture} trained on {n} simulator windows in {clock.Elapsed.TotalSeconds:F1} s (loss {result.FinalLoss:F3})");
        return ModelExporter.ToOnnx(result.Model, new ModelExportInfo
        {
            ModelVersion = version,
            Region = region,
            Mode = TrainingMode.Full,
            DatasetVersion = 1,
        });
    }

    /// <summary>
    /// Labelled feature rows from the simulator's own fleet machinery: devices of the default scenario (same cohorts and
    /// episodes as the bench fleet, another seed, so other patients), each a <see cref="SimulatedPatient"/> on its
    /// <see cref="DeviceSchedule"/>, every window labelled with the rhythm the schedule says at the window's end (the ground
    /// truth; episodes without a rhythm — desaturation, motion, lead-off — are sinus rhythm).
    /// </summary>
    private static (float[] Features, int[] Labels) Generate(int seed)
    {
        const int devices = 400;
        const int seconds = 150;
        var rows = new List<float>();
        var labels = new List<int>();
        var window = new float[FeatureSchema.Count];
        var frame = new TelemetryFrame { PatientId = "bench", SiteId = "bench", Bed = "-" };
        var cohorts = Scenario.Default.Assign(devices);
        for (var d = 0; d < devices; d++)
        {
            var schedule = new DeviceSchedule(seed, d, cohorts[d]?.Episodes);
            var patient = new SimulatedPatient(SampleRate, seed, d, schedule);
            var analyzer = new EcgStreamAnalyzer(SampleRate);
            for (var s = 0; s < seconds; s++)
            {
                patient.Fill(frame, SampleRate, null);
                frame.Sequence = (uint)s;
                analyzer.Append(frame);
                if (!analyzer.WindowReady)
                {
                    continue;
                }

                analyzer.WriteFeatures(window);
                for (var f = 0; f < window.Length; f++)
                {
                    // Missing values get the schema default, as the hub's TrainingSetBuilder imputes them.
                    rows.Add(float.IsFinite(window[f]) ? window[f] : FeatureSchema.Features[f].Default);
                }

                labels.Add((int)ClassOf(schedule.StateAt(s + 1 - 1e-6).Ecg.Rhythm));
            }
        }

        return ([.. rows], [.. labels]);
    }

    private static RhythmClass ClassOf(EpisodeKind? rhythm) => rhythm is { } kind ? EpisodeKinds.ToRhythmClass(kind) : RhythmClass.Normal;
}
