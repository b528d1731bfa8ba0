using System.Collections.Concurrent;
using System.Text.Json;
using EdgeHub.Contracts;
using EdgeHub.Mqtt;
using EdgeHub.Testing;

namespace EdgeHub.Simulator.Tests;

public sealed class ClinicianBotTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    /// <summary>d-vt: VT 20–32 s; d-af: AF 10–100 s; d-ok: nothing; d-desat: desaturation 0–60 s; d-off: lead-off 5–15 s.</summary>
    private static GroundTruth Truth() => new(Start, ["d-vt", "d-af", "d-ok", "d-desat", "d-off"],
    [
        new DeviceSchedule(1, 0, [new EpisodeTemplate { Kind = EpisodeKind.VentricularTachycardia, Start = 20, Duration = 12 }]),
        new DeviceSchedule(1, 1, [new EpisodeTemplate { Kind = EpisodeKind.AtrialFibrillation, Start = 10, Duration = 90 }]),
        new DeviceSchedule(1, 2, null),
        new DeviceSchedule(1, 3, [new EpisodeTemplate { Kind = EpisodeKind.Desaturation, Start = 0, Duration = 60 }]),
        new DeviceSchedule(1, 4, [new EpisodeTemplate { Kind = EpisodeKind.LeadOff, Start = 5, Duration = 10 }]),
    ]);

    private static AlertMessage Alert(string device, string kind, double atSeconds, string source = "model") => new()
    {
        AlertId = $"{device}-{kind}-{atSeconds}",
        State = "raised",
        Kind = kind,
        Source = source,
        SiteId = "ward-1",
        DeviceId = device,
        PatientPseudonym = "p",
        StartedAt = Start.AddSeconds(atSeconds),
        UpdatedAt = Start.AddSeconds(atSeconds),
    };

    [Theory]
    [InlineData("d-vt", "vt", 25, "confirm", null)]
    [InlineData("d-vt", "vt_run", 22, "confirm", null)]
    [InlineData("d-vt", "hr_high", 22, "confirm", null)]
    [InlineData("d-vt", "af", 25, "relabel", "vt")]
    [InlineData("d-vt", "vt", 60, "reject", null)]          // long after the run: a false alarm
    [InlineData("d-vt", "vt", 35, "confirm", null)]         // the run was inside the alert's 10 s look-back window
    [InlineData("d-af", "af", 50, "confirm", null)]
    [InlineData("d-af", "pvc", 50, "relabel", "af")]
    [InlineData("d-ok", "af", 50, "reject", null)]
    [InlineData("d-ok", "hr_low", 50, "reject", null)]
    [InlineData("d-desat", "spo2_low", 30, "confirm", null)]
    [InlineData("d-desat", "af", 30, "reject", null)]
    [InlineData("d-off", "lead_off", 8, "confirm", null)]
    [InlineData("d-off", "asystole", 8, "reject", null)]     // flat line from loose electrodes is not asystole
    public void Judge_AnswersFromTheTruth(string device, string kind, double at, string action, string? label)
    {
        var answer = AlertJudge.Judge(Alert(device, kind, at), Truth(), TimeSpan.FromSeconds(10), relabel: true);
        Assert.NotNull(answer);
        Assert.Equal(action, answer.Action);
        Assert.Equal(label, answer.Label);
    }

    [Fact]
    public void Judge_UnknownDevice_Null() =>
        Assert.Null(AlertJudge.Judge(Alert("elsewhere", "af", 10), Truth(), TimeSpan.FromSeconds(10), relabel: true));

    [Fact]
    public void Judge_RelabelOff_Rejects()
    {
        var answer = AlertJudge.Judge(Alert("d-vt", "af", 25), Truth(), TimeSpan.FromSeconds(10), relabel: false);
        Assert.Equal("reject", answer!.Action);
    }

    [Fact]
    public async Task Bot_Mosquitto_AnswersRaisedAlertsOnTheSiteLabelsTopic()
    {
        await using var broker = await Mosquitto.StartAsync();
        var labels = new ConcurrentQueue<(string Topic, LabelMessage Label)>();
        await using var clinicianApp = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = broker.Port, ClientId = "labels-watcher" });
        clinicianApp.MessageReceived = (m, _) =>
        {
            labels.Enqueue((m.Topic, JsonSerializer.Deserialize(m.Payload.Span, ContractsJson.Default.LabelMessage)!));
            return ValueTask.CompletedTask;
        };
        await clinicianApp.ConnectAsync();
        await clinicianApp.SubscribeAsync(Topics.AllLabels, MqttQos.AtLeastOnce);

        await using var bot = new ClinicianBot(new MqttClientOptions { Host = "127.0.0.1", Port = broker.Port }, Truth(),
            new ClinicianBotOptions { Delay = TimeSpan.FromMilliseconds(300) });
        await bot.StartAsync(CancellationToken.None);

        await using var edge = new MqttClient(new MqttClientOptions { Host = "127.0.0.1", Port = broker.Port, ClientId = "alerting-edge" });
        await edge.ConnectAsync();
        async Task Send(AlertMessage alert) =>
            await edge.PublishAsync(Topics.Alerts(alert.SiteId), JsonSerializer.SerializeToUtf8Bytes(alert, ContractsJson.Default.AlertMessage));

        var raisedAt = DateTimeOffset.UtcNow;
        await Send(Alert("d-vt", "vt", 25));
        await Send(Alert("d-vt", "vt", 25) with { State = "updated" });     // same alert again: answered once
        await Send(Alert("d-ok", "af", 50));
        await Send(Alert("d-af", "pvc", 50) with { SiteId = "ward-2" });
        await Send(Alert("not-ours", "af", 50));
        await edge.PublishAsync(Topics.Alerts("ward-1"), "{not json"u8.ToArray());

        await Eventually.TrueAsync(() => labels.Count >= 3, TimeSpan.FromSeconds(20), $"3 labels, got {labels.Count}");
        Assert.True(DateTimeOffset.UtcNow - raisedAt >= TimeSpan.FromMilliseconds(300), "answered before the configured delay");
        var byAlert = labels.ToDictionary(l => l.Label.AlertId);
        Assert.Equal("confirm", byAlert["d-vt-vt-25"].Label.Action);
        Assert.Equal(Topics.Labels("ward-1"), byAlert["d-vt-vt-25"].Topic);
        Assert.Equal("reject", byAlert["d-ok-af-50"].Label.Action);
        Assert.Equal("relabel", byAlert["d-af-pvc-50"].Label.Action);
        Assert.Equal("af", byAlert["d-af-pvc-50"].Label.Label);
        Assert.Equal(Topics.Labels("ward-2"), byAlert["d-af-pvc-50"].Topic);
        Assert.Equal("clinician-bot", byAlert["d-af-pvc-50"].Label.Clinician);
        await Eventually.TrueAsync(() => bot.Answered == 3, TimeSpan.FromSeconds(20), $"bot counted {bot.Answered} answers");
        Assert.Equal((1, 1, 1), (bot.Confirmed, bot.Rejected, bot.Relabelled));
        Assert.Equal(1, bot.Ignored);
        Assert.Equal(1, bot.Malformed);
    }
}
