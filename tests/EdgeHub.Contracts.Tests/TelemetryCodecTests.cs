using EdgeHub.Contracts;

namespace EdgeHub.Contracts.Tests;

public class TelemetryCodecTests
{
    private static TelemetryFrame SampleFrame(int samples = 250)
    {
        var frame = new TelemetryFrame
        {
            Sequence = 42,
            TimestampMicros = 1_763_683_200_000_000,
            SampleRate = 250,
            Gain = 200.5f,
            Baseline = -12,
            LeadOff = true,
            SpO2 = 96,
            RespirationRate = 18,
            Systolic = 131,
            Diastolic = 84,
            TemperatureC = 37.25f,
            PatientId = "MRN-0042",
            SiteId = "cardio-3",
            Bed = "Bett 7ä",
        };
        var s = frame.SetSampleCount(samples);
        for (var i = 0; i < s.Length; i++)
        {
            s[i] = (short)((i * 37 % 4000) - 2000);
        }

        return frame;
    }

    [Fact]
    public void Encode_RoundTrip_PreservesEveryField()
    {
        var frame = SampleFrame();
        var bytes = TelemetryCodec.Encode(frame);
        var parsed = new TelemetryFrame();

        Assert.Equal(FrameError.None, TelemetryCodec.TryParse(bytes, parsed));
        Assert.Equal(frame.Sequence, parsed.Sequence);
        Assert.Equal(frame.TimestampMicros, parsed.TimestampMicros);
        Assert.Equal(frame.SampleRate, parsed.SampleRate);
        Assert.Equal(frame.Gain, parsed.Gain);
        Assert.Equal(frame.Baseline, parsed.Baseline);
        Assert.True(parsed.LeadOff);
        Assert.Equal((byte)96, parsed.SpO2);
        Assert.Equal((byte)18, parsed.RespirationRate);
        Assert.Equal((ushort)131, parsed.Systolic);
        Assert.Equal((ushort)84, parsed.Diastolic);
        Assert.Equal(37.25f, parsed.TemperatureC);
        Assert.Equal("MRN-0042", parsed.PatientId);
        Assert.Equal("cardio-3", parsed.SiteId);
        Assert.Equal("Bett 7ä", parsed.Bed);
        Assert.True(frame.Samples.SequenceEqual(parsed.Samples));
    }

    [Fact]
    public void Encode_MissingVitals_RoundTripAsNull()
    {
        var frame = SampleFrame();
        frame.SpO2 = null;
        frame.RespirationRate = null;
        frame.Systolic = null;
        frame.Diastolic = null;
        frame.TemperatureC = null;
        var parsed = new TelemetryFrame();

        Assert.Equal(FrameError.None, TelemetryCodec.TryParse(TelemetryCodec.Encode(frame), parsed));
        Assert.Null(parsed.SpO2);
        Assert.Null(parsed.RespirationRate);
        Assert.Null(parsed.Systolic);
        Assert.Null(parsed.Diastolic);
        Assert.Null(parsed.TemperatureC);
    }

    [Fact]
    public void TryParse_EveryTruncation_IsRefusedWithoutThrowing()
    {
        var bytes = TelemetryCodec.Encode(SampleFrame(40));
        var parsed = new TelemetryFrame();
        for (var length = 0; length < bytes.Length; length++)
        {
            var error = TelemetryCodec.TryParse(bytes.AsSpan(0, length), parsed);
            Assert.NotEqual(FrameError.None, error);
        }
    }

    [Fact]
    public void TryParse_TrailingGarbage_IsLengthMismatch()
    {
        var bytes = TelemetryCodec.Encode(SampleFrame(10)).Concat(new byte[] { 1, 2 }).ToArray();
        Assert.Equal(FrameError.LengthMismatch, TelemetryCodec.TryParse(bytes, new TelemetryFrame()));
    }

    [Theory]
    [InlineData(0, (byte)'X', FrameError.BadMagic)]
    [InlineData(2, (byte)9, FrameError.UnsupportedVersion)]
    [InlineData(34, (byte)0, FrameError.BadIdentity)]
    [InlineData(26, (byte)150, FrameError.BadVitals)]
    public void TryParse_CorruptHeaderByte_GivesSpecificError(int offset, byte value, FrameError expected)
    {
        var bytes = TelemetryCodec.Encode(SampleFrame(10));
        bytes[offset] = value;
        Assert.Equal(expected, TelemetryCodec.TryParse(bytes, new TelemetryFrame()));
    }

    [Fact]
    public void TryParse_SampleRateOutOfRange_IsRefused()
    {
        var frame = SampleFrame(10);
        frame.SampleRate = 50;
        Assert.Equal(FrameError.BadSampleRate, TelemetryCodec.TryParse(TelemetryCodec.Encode(frame), new TelemetryFrame()));
    }

    [Fact]
    public void TryParse_RandomMutations_NeverThrow()
    {
        var valid = TelemetryCodec.Encode(SampleFrame(20));
        var random = new Random(7);
        var parsed = new TelemetryFrame();
        for (var i = 0; i < 20_000; i++)
        {
            var mutated = (byte[])valid.Clone();
            for (var k = random.Next(1, 4); k > 0; k--)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }

            var error = TelemetryCodec.TryParse(mutated, parsed);
            Assert.True(Enum.IsDefined(error));
            Assert.False(string.IsNullOrEmpty(TelemetryCodec.Describe(error)));
        }
    }

    [Fact]
    public void TryParseJson_ValidFrame_ParsesSamplesAndVitals()
    {
        var json = """{"seq":7,"ts":1000,"fs":360,"gain":200,"baseline":1024,"ecg":[1,2,-3],"spo2":91,"resp":22,"sys":100,"dia":60,"temp":38.5,"patient":"p1","site":"s1","bed":"b1","leadOff":false}"""u8;
        var frame = new TelemetryFrame();

        Assert.Equal(FrameError.None, TelemetryCodec.TryParseJson(json, frame));
        Assert.Equal(360, frame.SampleRate);
        Assert.Equal(new short[] { 1, 2, -3 }, frame.Samples.ToArray());
        Assert.Equal((byte)91, frame.SpO2);
        Assert.Equal(38.5f, frame.TemperatureC);
        Assert.Equal("s1", frame.SiteId);
    }

    [Theory]
    [InlineData("""{"fs":250}""", FrameError.BadJson)]
    [InlineData("""{"fs":250,"ecg":[]}""", FrameError.BadSampleCount)]
    [InlineData("""{"fs":20,"ecg":[1]}""", FrameError.BadSampleRate)]
    [InlineData("""{"fs":250,"ecg":[1],"patient":"p","site":"bad site"}""", FrameError.BadIdentity)]
    [InlineData("""{"fs":250,"ecg":[70000],"patient":"p","site":"s"}""", FrameError.BadJson)]
    [InlineData("""not json""", FrameError.BadJson)]
    public void TryParseJson_BadInput_GivesSpecificError(string json, FrameError expected)
    {
        Assert.Equal(expected, TelemetryCodec.TryParseJson(System.Text.Encoding.UTF8.GetBytes(json), new TelemetryFrame()));
    }
}
