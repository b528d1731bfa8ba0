using System.Text;
using EdgeHub.Contracts;

namespace EdgeHub.Contracts.Tests;

public class TelemetryIdentityTests
{
    private static byte[] Frame(string patient, string site, string bed)
    {
        var frame = new TelemetryFrame { Sequence = 1, TimestampMicros = 1, SampleRate = 250, PatientId = patient, SiteId = site, Bed = bed };
        frame.SetSampleCount(3).Fill(7);
        return TelemetryCodec.Encode(frame);
    }

    [Fact]
    public void TryParse_IdentityBytes_LeavesFrameStringsAndGivesTheUtf8Fields()
    {
        var frame = new TelemetryFrame { PatientId = "old", SiteId = "old-site", Bed = "old-bed" };
        Assert.Equal(FrameError.None, TelemetryCodec.TryParse(Frame("MRN-1", "ward-ä", ""), frame, out var id));
        Assert.Equal("old", frame.PatientId);
        Assert.Equal("old-site", frame.SiteId);
        Assert.Equal("MRN-1", id.PatientIdString());
        Assert.Equal("ward-ä", id.SiteIdString());
        Assert.Equal("", id.BedString());
        Assert.True(id.SiteId.SequenceEqual(Encoding.UTF8.GetBytes("ward-ä")));
        Assert.Equal(3, frame.SampleCount);
        Assert.All(frame.Samples.ToArray(), s => Assert.Equal(7, s));
    }

    [Fact]
    public void Matches_SameBytes_TrueAndAnyChangedFieldOrBoundary_False()
    {
        var cached = new byte[64];
        var frame = new TelemetryFrame();
        Assert.Equal(FrameError.None, TelemetryCodec.TryParse(Frame("ab", "cd", "e"), frame, out var first));
        first.CopyTo(cached);
        var stored = cached.AsSpan(0, first.Length).ToArray();
        var (p, s) = (first.PatientId.Length, first.SiteId.Length);

        TelemetryCodec.TryParse(Frame("ab", "cd", "e"), frame, out var same);
        Assert.True(same.Matches(stored, p, s));
        TelemetryCodec.TryParse(Frame("ab", "cd", "f"), frame, out var otherBed);
        Assert.False(otherBed.Matches(stored, p, s));
        // Same concatenated bytes, different split between patient and site: a different identity.
        TelemetryCodec.TryParse(Frame("a", "bcd", "e"), frame, out var shifted);
        Assert.False(shifted.Matches(stored, p, s));
        Assert.False(same.Matches([], 0, 0));
    }

    [Theory]
    [InlineData("MRN\u0007", "site")]
    [InlineData("MRN", "si\u007Fte")]
    [InlineData("MRN\u0085", "site")]
    public void TryParse_ControlCharacterInIdentity_BadIdentity(string patient, string site)
    {
        Assert.Equal(FrameError.BadIdentity, TelemetryCodec.TryParse(Frame(patient, site, "b"), new TelemetryFrame(), out _));
        Assert.Equal(FrameError.BadIdentity, TelemetryCodec.TryParse(Frame(patient, site, "b"), new TelemetryFrame()));
    }

    [Fact]
    public void TryParse_InvalidUtf8InIdentity_BadIdentity()
    {
        var bytes = Frame("MRN-1", "ward", "b");
        bytes[TelemetryCodec.HeaderSize] = 0xC3; // a lead byte followed by an ASCII byte: not UTF-8
        Assert.Equal(FrameError.BadIdentity, TelemetryCodec.TryParse(bytes, new TelemetryFrame(), out _));
    }

    [Fact]
    public void IsPrintableUtf8_AcceptsNonAsciiLettersRejectsControls()
    {
        Assert.True(TelemetryIdentity.IsPrintableUtf8("Bett 7ä ü €"u8));
        Assert.False(TelemetryIdentity.IsPrintableUtf8("a\tb"u8));
        Assert.False(TelemetryIdentity.IsPrintableUtf8([0xC2, 0x9F]));
        Assert.True(TelemetryIdentity.IsPrintableUtf8([0xC2, 0xA0]));
    }
}
