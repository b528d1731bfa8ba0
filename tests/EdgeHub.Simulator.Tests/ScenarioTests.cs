using EdgeHub.Contracts;
using EdgeHub.Testing;

namespace EdgeHub.Simulator.Tests;

public sealed class ScenarioTests
{
    [Fact]
    public void Default_LoadsAndGivesEveryKindToSmallFleets()
    {
        var scenario = Scenario.Default;
        Assert.Equal("default", scenario.Name);
        var cohorts = scenario.Assign(12);
        var kinds = cohorts.Where(c => c is not null).SelectMany(c => c!.Episodes).Select(e => e.Kind).ToHashSet();
        Assert.Equal(Enum.GetValues<EpisodeKind>().ToHashSet(), kinds);
        Assert.Contains(cohorts, c => c is null);   // some patients stay normal
        // Alerts within a minute: every cohort's first episode starts early enough for a 10 s window to fill.
        Assert.All(scenario.Cohorts, c => Assert.True(c.Episodes.Min(e => e.Start + e.Jitter) <= 50, c.Name));
    }

    [Fact]
    public void SampleFile_InRepository_MatchesTheEmbeddedDefault()
    {
        var path = Path.Combine(RepoPaths.Root, "simulators", "EdgeHub.Simulator", "scenarios", "default.json");
        var file = Scenario.Load(path);
        Assert.Equal(Scenario.Default.Cohorts.Count, file.Cohorts.Count);
    }

    [Theory]
    [InlineData("""{"cohorts":[{"count":1,"episodes":[{"kind":"flutter","start":0,"duration":5}]}]}""", "unknown kind 'flutter'")]
    [InlineData("""{"cohorts":[{"count":1,"share":0.5,"episodes":[]}]}""", "exactly one of")]
    [InlineData("""{"cohorts":[{"share":1.5,"episodes":[]}]}""", "share 1.5 must be between 0 and 1")]
    [InlineData("""{"cohorts":[{"count":1,"episodes":[{"kind":"af","start":0,"duration":60,"repeatEvery":30}]}]}""", "repeatEvery 30")]
    [InlineData("""{"cohorts":[{"count":1,"episodes":[{"kind":"vt","start":0,"duration":5,"rate":300}]}]}""", "rate 300 bpm is outside 150-250")]
    [InlineData("""{"cohorts":[{"count":1,"episodes":[{"kind":"desat","start":0,"duration":5,"spo2":97}]}]}""", "spo2 97")]
    [InlineData("""{"cohorts":[{"count":1,"episodes":[{"kind":"af","start":-1,"duration":5}]}]}""", "start -1")]
    [InlineData("""{"sites":["bad site"]}""", "site 'bad site' is not a valid id")]
    [InlineData("""{"cohort":[]}""", "not a valid scenario")]
    [InlineData("""[1,2]""", "not a valid scenario")]
    [InlineData("""{"cohorts":[{"count":1,"episodes":[{"kind":"af","start":0,"duration":0}]}]}""", "duration 0 must be > 0")]
    public void Parse_BadScenario_SaysWhatIsWrong(string json, string expected)
    {
        var error = Assert.Throws<FormatException>(() => Scenario.Parse(json, "test.json"));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("test.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_NamesTheFile()
    {
        var error = Assert.Throws<FileNotFoundException>(() => Scenario.Load("/nonexistent/scenario.json"));
        Assert.Contains("/nonexistent/scenario.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Assign_ExplicitIdsFirst_ThenCountsAndSharesInOrder()
    {
        var scenario = Scenario.Parse("""
            {"devicePrefix":"bed","cohorts":[
              {"name":"a","count":2,"episodes":[]},
              {"name":"b","devices":["bed-00002"],"episodes":[]},
              {"name":"c","share":0.25,"episodes":[]}
            ]}
            """);
        var names = scenario.Assign(10).Select(c => c?.Name ?? "-").ToArray();
        Assert.Equal(["a", "b", "a", "c", "c", "c", "-", "-", "-", "-"], names);
        Assert.Equal("bed-00002", scenario.DeviceId(1));
    }

    [Fact]
    public void Schedule_RepeatsWithJitter_StateAndNextChangeAgree()
    {
        var template = new EpisodeTemplate { Kind = EpisodeKind.AtrialFibrillation, Start = 10, Duration = 20, RepeatEvery = 60, Jitter = 5 };
        var schedule = new DeviceSchedule(seed: 3, device: 7, [template]);
        var occurrences = new List<EpisodeOccurrence>();
        schedule.EpisodesOverlapping(0, 300, occurrences);
        Assert.Equal(5, occurrences.Count);
        for (var k = 0; k < occurrences.Count; k++)
        {
            var o = occurrences[k];
            Assert.InRange(o.Start, 10 + (60 * k), 15 + (60 * k));
            Assert.Equal(20, o.End - o.Start, 9);
            Assert.Null(schedule.StateAt(o.Start - 0.01).Ecg.Rhythm);
            Assert.Equal(EpisodeKind.AtrialFibrillation, schedule.StateAt(o.Start + 0.01).Ecg.Rhythm);
            Assert.Equal(EpisodeKind.AtrialFibrillation, schedule.StateAt(o.End - 0.01).Ecg.Rhythm);
            Assert.Null(schedule.StateAt(o.End + 0.01).Ecg.Rhythm);
            Assert.Equal(o.Start, schedule.NextChangeAfter(o.Start - 0.5), 9);
            Assert.Equal(o.End, schedule.NextChangeAfter(o.Start), 9);
        }

        // Another device of the same cohort starts at a different moment.
        var other = new DeviceSchedule(seed: 3, device: 8, [template]);
        var theirs = new List<EpisodeOccurrence>();
        other.EpisodesOverlapping(0, 100, theirs);
        Assert.NotEqual(occurrences[0].Start, theirs[0].Start);
    }

    [Fact]
    public void Schedule_OverlappingRhythms_MoreDangerousWins_OverlaysCombine()
    {
        var schedule = new DeviceSchedule(1, 0,
        [
            new EpisodeTemplate { Kind = EpisodeKind.Tachycardia, Start = 0, Duration = 100 },
            new EpisodeTemplate { Kind = EpisodeKind.VentricularTachycardia, Start = 10, Duration = 5, Rate = 200 },
            new EpisodeTemplate { Kind = EpisodeKind.Desaturation, Start = 12, Duration = 20, SpO2 = 80 },
            new EpisodeTemplate { Kind = EpisodeKind.LeadOff, Start = 13, Duration = 1 },
        ]);
        var state = schedule.StateAt(13.5);
        Assert.Equal(EpisodeKind.VentricularTachycardia, state.Ecg.Rhythm);
        Assert.Equal(200, state.Ecg.RateBpm);
        Assert.Equal(80, state.DesaturationSpO2);
        Assert.True(state.LeadOff);
        Assert.Equal(EpisodeKind.Tachycardia, schedule.StateAt(16).Ecg.Rhythm);
    }

    [Fact]
    public void GroundTruth_ClassAt_FollowsTheSchedule()
    {
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var truth = new GroundTruth(start, ["d1", "d2"],
        [
            new DeviceSchedule(1, 0, [new EpisodeTemplate { Kind = EpisodeKind.VentricularTachycardia, Start = 20, Duration = 12 }]),
            new DeviceSchedule(1, 1, [new EpisodeTemplate { Kind = EpisodeKind.Desaturation, Start = 0, Duration = 100 }]),
        ]);
        Assert.Equal(RhythmClass.Normal, truth.ClassAt("d1", start.AddSeconds(19.9)));
        Assert.Equal(RhythmClass.VentricularTachycardia, truth.ClassAt("d1", start.AddSeconds(20.1)));
        Assert.Equal(RhythmClass.VentricularTachycardia, truth.ClassAt("d1", TruthWriter.Micros(start.AddSeconds(31))));
        Assert.Equal(RhythmClass.Normal, truth.ClassAt("d1", start.AddSeconds(32.1)));
        Assert.Equal(RhythmClass.Normal, truth.ClassAt("d2", start.AddSeconds(50)));   // desaturation is not a rhythm
        Assert.True(truth.WasActive("d2", EpisodeKind.Desaturation, start.AddSeconds(40), start.AddSeconds(41)));
        var episodes = truth.EpisodesBetween("d1", start, start.AddMinutes(1));
        Assert.Equal(start.AddSeconds(20), Assert.Single(episodes).Start);
        var error = Assert.Throws<ArgumentException>(() => truth.ClassAt("d9", start));
        Assert.Contains("'d9' is not part of this simulation run", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SimulatedPatient_EpisodeStartsOnTheScheduledSample()
    {
        var schedule = new DeviceSchedule(1, 0, [new EpisodeTemplate { Kind = EpisodeKind.VentricularTachycardia, Start = 10.5, Duration = 5, Rate = 200 }]);
        var patient = new SimulatedPatient(250, 1, 0, schedule);
        var frame = new TelemetryFrame();
        var beats = new List<BeatMark>();
        for (var s = 0; s < 20; s++)
        {
            patient.Fill(frame, 250, beats);
        }

        // Ventricular beats only inside [10.5, 15.5] s (+ one interval of run-in/run-out).
        foreach (var b in beats)
        {
            var t = b.SampleIndex / 250;
            if (b.Symbol == 'V')
            {
                Assert.InRange(t, 10.5, 15.5 + 0.4);
            }
            else if (t is > 11.5 and < 15.5)
            {
                Assert.Fail($"sinus beat at {t:F2} s inside the VT episode");
            }
        }

        Assert.InRange(beats.Count(b => b.Symbol == 'V'), 14, 18);   // 5 s at 200 bpm
    }

    [Fact]
    public void SimulatedVitals_FollowEpisodes()
    {
        var profile = new PatientProfile { SpO2 = 97, Systolic = 125, Diastolic = 80, RespirationRate = 14 };
        var vitals = new SimulatedVitals(profile, 1);
        var frame = new TelemetryFrame();
        var desat = new PatientState { DesaturationSpO2 = 84 };
        for (var s = 0; s < 60; s++)
        {
            vitals.Update(1, desat, frame);
        }

        Assert.InRange(frame.SpO2!.Value, 82, 86);
        Assert.True(frame.RespirationRate > 18);
        var vt = new PatientState { Ecg = new EcgCondition { Rhythm = EpisodeKind.VentricularTachycardia } };
        for (var s = 0; s < 60; s++)
        {
            vitals.Update(1, vt, frame);
        }

        Assert.True(frame.Systolic < 95, $"VT should drop blood pressure, got {frame.Systolic}");
        for (var s = 0; s < 120; s++)
        {
            vitals.Update(1, default, frame);
        }

        Assert.InRange(frame.SpO2!.Value, 95, 99);
        Assert.InRange(frame.Systolic!.Value, 118, 132);
        Assert.InRange(frame.TemperatureC!.Value, 36, 38);
    }
}
