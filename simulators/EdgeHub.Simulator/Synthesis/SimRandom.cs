namespace EdgeHub.Simulator;

/// <summary>
/// xoshiro256** (Blackman and Vigna 2018): a small, fast, seedable generator. Simulation needs reproducibility from a seed,
/// not unpredictability, so System.Random's shared state and the cryptographic generators are the wrong tools. A mutable
/// struct: keep it in a field and call it in place.
/// </summary>
public struct SimRandom
{
    private ulong _s0, _s1, _s2, _s3;

    /// <summary>Seeds the four state words from <paramref name="seed"/> with SplitMix64, as the authors recommend.</summary>
    public SimRandom(ulong seed)
    {
        _s0 = SplitMix(ref seed);
        _s1 = SplitMix(ref seed);
        _s2 = SplitMix(ref seed);
        _s3 = SplitMix(ref seed);
    }

    /// <summary>A generator for one stream of a simulation (device <paramref name="stream"/> of run <paramref name="seed"/>).</summary>
    public static SimRandom ForStream(int seed, int stream, int purpose = 0) =>
        new(unchecked(((ulong)(uint)seed << 32) ^ (ulong)(uint)stream ^ ((ulong)(uint)purpose << 48) ^ 0x9E3779B97F4A7C15UL));

    private static ulong SplitMix(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        var z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        var result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        var t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    public double Uniform(double min, double max) => min + ((max - min) * NextDouble());

    /// <summary>Uniform integer in [0, <paramref name="n"/>).</summary>
    public int NextInt(int n) => (int)((NextUInt64() >> 33) % (ulong)n);

    /// <summary>True with probability <paramref name="p"/>.</summary>
    public bool Chance(double p) => NextDouble() < p;

    /// <summary>Standard normal deviate (Box–Muller); for per-beat draws. Per-sample noise uses <see cref="NoiseTable"/>.</summary>
    public double NextGaussian()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>A cheap standard normal deviate from the shared table (per-sample noise).</summary>
    public float NextTableGaussian() => NoiseTable.Values[(int)(NextUInt64() >> 51)];
}

/// <summary>8,192 precomputed standard normal deviates: per-sample noise by table lookup instead of a log, sqrt and cos.</summary>
internal static class NoiseTable
{
    public const int Size = 1 << 13;

    public static readonly float[] Values = Build();

    private static float[] Build()
    {
        var rng = new SimRandom(0x5EED_0F_EC6UL);
        var values = new float[Size];
        for (var i = 0; i < Size; i++)
        {
            values[i] = (float)rng.NextGaussian();
        }

        return values;
    }
}
