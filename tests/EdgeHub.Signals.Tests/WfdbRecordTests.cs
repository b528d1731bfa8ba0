using System.Security.Cryptography;

namespace EdgeHub.Signals.Tests;

public class WfdbRecordTests
{
    [Fact]
    public void ReadRecord_DerivedRecord101_FractionalGainBaselineAndUnsignedChecksum()
    {
        var r = Wfdb.ReadRecord(TestData.Record("101"));
        Assert.Equal("101", r.Name);
        Assert.Equal(360, r.SampleRate);
        Assert.Equal(650000, r.Length);
        Assert.Equal(2, r.Signals.Count);
        var mlii = r.Signals[0];
        Assert.Equal("MLII", mlii.Description);
        Assert.Equal(212, mlii.Format);
        Assert.Equal(731.6535433070867, mlii.Gain, 10);
        Assert.Equal(276, mlii.Baseline);
        Assert.Equal(63361, mlii.Checksum); // written unsigned by wfdb-python
        Assert.Equal(24, r.Samples[0][0]);
        Assert.Equal(-772, r.Samples[1][0]);
        Assert.True(r.ChecksumMatches(0));
        Assert.True(r.ChecksumMatches(1));
        Assert.Equal((24 - 276) / 731.6535433070867, r.Physical(0, 0), 12);
    }

    [Fact]
    public void ReadRecord_OriginalRecord208_IntegerGainBaselineFromAdcZeroAndSignedChecksum()
    {
        var r = Wfdb.ReadRecord(TestData.Record("208.hea"));
        Assert.Equal(200, r.Signals[0].Gain);
        Assert.Equal(1024, r.Signals[0].Baseline);
        Assert.Equal(11, r.Signals[0].AdcResolution);
        Assert.Equal(1003, r.Samples[0][0]);
        Assert.True(r.ChecksumMatches(0));
        Assert.True(r.ChecksumMatches(1));
        Assert.Contains(r.Comments, c => c.Contains("PVCs are uniform", StringComparison.Ordinal));
    }

    [Fact]
    public void ReadRecord_EverySharedRecord_FilesMatchProvenanceAndChecksumsAndInitialValuesMatch()
    {
        var provenance = TestData.Provenance();
        Assert.Equal(22, provenance.Count);
        var kinds = new HashSet<string>();
        foreach (var (name, row) in provenance)
        {
            var dat = Path.Combine(TestData.MitDb, name + ".dat");
#pragma warning disable CA5350 // SHA-1 is what PROVENANCE.tsv records; this is an identity check, not security
            Assert.Equal(row.Sha1, Convert.ToHexStringLower(SHA1.HashData(File.ReadAllBytes(dat))));
#pragma warning restore CA5350
            var r = Wfdb.ReadRecord(TestData.Record(name));
            for (var s = 0; s < r.Signals.Count; s++)
            {
                Assert.True(r.ChecksumMatches(s), $"record {name} signal {s}: checksum {r.Signals[s].Checksum} vs computed {r.ComputeChecksum(s)}");
                Assert.Equal(r.Signals[s].InitialValue, r.Samples[s][0]);
            }

            kinds.Add(row.Signal);
            Assert.Equal(row.Signal == "derived", r.Signals[0].Gain % 1 != 0 || r.Signals[0].Baseline != r.Signals[0].AdcZero);
        }

        Assert.Equal(["derived", "original"], kinds.Order());
    }

    [Fact]
    public void ReadRecord_Format16AndOffsetAndSignedOrUnsignedChecksum_RoundTrips()
    {
        var dir = Directory.CreateTempSubdirectory("wfdb16");
        try
        {
            short[] a = [-32768, -1, 0, 1, 32767, 1234];
            short[] b = [5, -5, 100, -100, 0, -2000];
            var bytes = new List<byte> { 0xAA, 0xBB, 0xCC, 0xDD }; // 4-byte prefix skipped by "+4"
            for (var i = 0; i < a.Length; i++)
            {
                bytes.AddRange(BitConverter.GetBytes(a[i]));
                bytes.AddRange(BitConverter.GetBytes(b[i]));
            }

            File.WriteAllBytes(Path.Combine(dir.FullName, "t.dat"), [.. bytes]);
            var ckA = a.Sum(v => (int)v) & 0xFFFF;
            var ckB = (short)(b.Sum(v => (int)v) & 0xFFFF); // signed form
            File.WriteAllLines(Path.Combine(dir.FullName, "t.hea"),
            [
                "# made by a test",
                "t 2 500 6",
                $"t.dat 16+4 1000.5(-3.25)/mV 16 0 -32768 {ckA} 0 lead I",
                $"t.dat 16+4 0 16 7 5 {ckB} 0 II",
            ]);
            var r = Wfdb.ReadRecord(Path.Combine(dir.FullName, "t"));
            Assert.Equal(500, r.SampleRate);
            Assert.Equal(a, r.Samples[0].Select(v => (short)v));
            Assert.Equal(b, r.Samples[1].Select(v => (short)v));
            Assert.Equal(1000.5, r.Signals[0].Gain);
            Assert.Equal(-3.25, r.Signals[0].Baseline);
            Assert.Equal("lead I", r.Signals[0].Description);
            Assert.Equal(200, r.Signals[1].Gain); // 0 means "unspecified": WFDB default
            Assert.Equal(7, r.Signals[1].Baseline);
            Assert.True(r.ChecksumMatches(0));
            Assert.True(r.ChecksumMatches(1));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void ReadRecord_Format212OddSampleCount_DecodesTwelveBitPairs()
    {
        var dir = Directory.CreateTempSubdirectory("wfdb212");
        try
        {
            int[] values = [-2048, 2047, -1, 0, 1000];
            var packed = new List<byte>();
            for (var i = 0; i < values.Length; i += 2)
            {
                var s0 = values[i] & 0xFFF;
                var s1 = i + 1 < values.Length ? values[i + 1] & 0xFFF : 0;
                packed.Add((byte)s0);
                packed.Add((byte)((s0 >> 8) | ((s1 >> 8) << 4)));
                packed.Add((byte)s1);
            }

            File.WriteAllBytes(Path.Combine(dir.FullName, "x.dat"), [.. packed]);
            File.WriteAllLines(Path.Combine(dir.FullName, "x.hea"), ["x 1 128 5", "x.dat 212 100 12 0"]);
            var r = Wfdb.ReadRecord(Path.Combine(dir.FullName, "x.hea"));
            Assert.Equal(values, r.Samples[0]);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void ReadRecord_BadInputs_ClearErrors()
    {
        var dir = Directory.CreateTempSubdirectory("wfdbbad");
        try
        {
            var missing = Assert.Throws<FileNotFoundException>(() => Wfdb.ReadRecord(Path.Combine(dir.FullName, "nope")));
            Assert.Contains("nope.hea", missing.Message, StringComparison.Ordinal);

            File.WriteAllLines(Path.Combine(dir.FullName, "f.hea"), ["f 1 360 10", "f.dat 311 200 10 0"]);
            File.WriteAllBytes(Path.Combine(dir.FullName, "f.dat"), new byte[40]);
            Assert.Contains("format 311", Assert.Throws<InvalidDataException>(() => Wfdb.ReadRecord(Path.Combine(dir.FullName, "f"))).Message, StringComparison.Ordinal);

            File.WriteAllLines(Path.Combine(dir.FullName, "g.hea"), ["g 1 360 1000", "g.dat 16 200 16 0"]);
            File.WriteAllBytes(Path.Combine(dir.FullName, "g.dat"), new byte[20]);
            Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => Wfdb.ReadRecord(Path.Combine(dir.FullName, "g"))).Message, StringComparison.Ordinal);

            File.WriteAllLines(Path.Combine(dir.FullName, "h.hea"), ["h 2 360 10", "h.dat 16 abc 16 0"]);
            Assert.Contains("gain 'abc'", Assert.Throws<InvalidDataException>(() => Wfdb.ReadRecord(Path.Combine(dir.FullName, "h"))).Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
