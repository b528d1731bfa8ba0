using System.Text;

namespace EdgeHub.Signals.Tests;

public class WfdbAnnotationTests
{
    [Fact]
    public void ReadAnnotations_Record101_Has1865Beats()
    {
        var ann = Wfdb.ReadAnnotations(Path.Combine(TestData.MitDb, "101.atr"));
        Assert.Equal(1865, ann.Count(a => a.IsBeat));
        Assert.Equal(83, ann.First(a => a.IsBeat).Sample);
        Assert.Equal(83 / 360.0, ann.First(a => a.IsBeat).Seconds, 9); // rate taken from 101.hea
        Assert.All(ann, a => Assert.Null(a.Aux)); // derived: wfdb-python dropped aux strings
    }

    [Fact]
    public void ReadAnnotations_OriginalRecord208_KeepsRhythmAuxAndSubtypes()
    {
        var ann = Wfdb.ReadAnnotations(Path.Combine(TestData.MitDb, "208.atr"), 360);
        Assert.Equal(2955, ann.Count(a => a.IsBeat));
        Assert.Equal(992, ann.Count(a => a.Symbol == "V"));
        var first = ann[0];
        Assert.Equal("+", first.Symbol);
        Assert.Equal("(N", first.Aux);
        Assert.Contains(ann, a => a.Symbol == "V" && a.SubType == 1);
    }

    [Fact]
    public void ReadAnnotations_EverySharedRecord_BeatCountsAreMitBih()
    {
        // Beat totals of the MIT-BIH Arrhythmia Database directory (PhysioNet), for the 22 records here.
        var expected = new Dictionary<string, int>
        {
            ["101"] = 1865, ["106"] = 2027, ["108"] = 1763, ["109"] = 2532, ["112"] = 2539, ["114"] = 1879, ["115"] = 1953,
            ["116"] = 2412, ["118"] = 2278, ["119"] = 1987, ["122"] = 2476, ["124"] = 1619, ["201"] = 1963, ["203"] = 2980,
            ["205"] = 2656, ["207"] = 1860, ["208"] = 2955, ["209"] = 3005, ["215"] = 3363, ["220"] = 2048, ["223"] = 2605, ["230"] = 2256,
        };
        foreach (var (name, beats) in expected)
        {
            var ann = Wfdb.ReadAnnotations(Path.Combine(TestData.MitDb, name + ".atr"));
            Assert.True(beats == ann.Count(a => a.IsBeat), $"record {name}: {ann.Count(a => a.IsBeat)} beats, expected {beats}");
            for (var i = 1; i < ann.Count; i++)
            {
                Assert.True(ann[i].Sample >= ann[i - 1].Sample, $"record {name}: annotation times go backwards at {i}");
            }
        }
    }

    [Fact]
    public void ParseAnnotations_SkipNumSubChnAux_DecodedAndCarriedOver()
    {
        var bytes = new List<byte>();
        void Word(int a, int i) => bytes.AddRange(BitConverter.GetBytes((ushort)((a << 10) | i)));
        Word(1, 100);                       // N at 100
        Word(61, 3);                        // SUB 3 (this annotation only)
        Word(62, 1);                        // CHN 1 (carries over)
        Word(60, 7);                        // NUM 7 (carries over)
        Word(59, 0);                        // SKIP 70000: high word first, each little-endian
        bytes.AddRange(BitConverter.GetBytes((ushort)(70000 >> 16)));
        bytes.AddRange(BitConverter.GetBytes((ushort)(70000 & 0xFFFF)));
        Word(28, 5);                        // + at 100 + 70000 + 5
        var aux = Encoding.ASCII.GetBytes("(AFIB");
        Word(63, aux.Length);               // AUX, odd length: padded to even
        bytes.AddRange(aux);
        bytes.Add(0);
        Word(5, 1023);                      // V, largest 10-bit increment
        Word(0, 0);                         // end

        var ann = Wfdb.ParseAnnotations([.. bytes], 250);
        Assert.Equal(3, ann.Count);
        Assert.Equal(new WfdbAnnotation(100, 1, 3, 1, 7, null, 0.4), ann[0]);
        Assert.Equal(70105, ann[1].Sample);
        Assert.Equal("(AFIB", ann[1].Aux);
        Assert.Equal(0, ann[1].SubType);
        Assert.Equal(1, ann[1].Channel);
        Assert.Equal(7, ann[1].Number);
        Assert.Equal("+", ann[1].Symbol);
        Assert.False(ann[1].IsBeat);
        Assert.Equal(70105 + 1023, ann[2].Sample);
        Assert.True(ann[2].IsBeat);
        Assert.Equal("V", ann[2].Symbol);
    }

    [Fact]
    public void ParseAnnotations_TruncatedAux_ClearError()
    {
        byte[] bytes = [0x00, 0x04, 0x0A, 0xFC, (byte)'(', (byte)'N'];
        var ex = Assert.Throws<InvalidDataException>(() => Wfdb.ParseAnnotations(bytes, double.NaN));
        Assert.Contains("AUX", ex.Message, StringComparison.Ordinal);
    }
}
