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
/// the simulator generates (its synthetic ECG and vitals for every rhythm class, features from the same
/// <see cref="EcgStreamAnalyzer"/> the edge runs), exported through <see cref="ModelExporter"/> like a hub model. A
/// random-weights network would call arrhythmia on nearly every device and turn the bench into an alert-storm test; a
/// trained one raises alerts where the fleet's scripted episodes are, as a deployed edge would. Takes a few seconds.
/// </summary>
internal static class PipelineBenchModel
{
    private const int SampleRate = 250;

    /// <summary>Seconds of signal per generated patient (the first 10 fill the analyzer's window).</summary>
    private const int SecondsPerPatient = 50;

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
    /// Labelled feature rows: per rhythm class several simulated patients (own morphology and vitals profile), normal rhythm
    /// weighted like a ward where most monitored patients are in sinus rhythm most of the time.
    /// </summary>
    private static (float[] Features, int[] Labels) Generate(int seed)
    {
        var rows = new List<float>();
        var labels = new List<int>();
        var window = new float[FeatureSchema.Count];
        var frame = new TelemetryFrame { PatientId = "bench", SiteId = "bench", Bed = "-" };
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        for (var c = 0; c < RhythmClasses.Count; c++)
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
            var state = new PatientState { Ecg = EcgCondition.For(episode) };
            var patients = c == (int)RhythmClass.Normal ? 24 : 6;
            for (var p = 0; p < patients; p++)
            {
                var patientSeed = seed + (c * 1_000) + p;
                var ecg = new SyntheticEcg(SampleRate, patientSeed);
                var vitals = new SimulatedVitals(ecg.Profile, patientSeed);
                var analyzer = new EcgStreamAnalyzer(SampleRate);
                for (var s = 0; s < SecondsPerPatient; s++)
                {
                    ecg.Generate(frame, start.AddSeconds(s), SampleRate, episode);
                    vitals.Update(1, state, frame);
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

                    labels.Add(c);
                }
            }
        }

        return ([.. rows], [.. labels]);
    }
}
