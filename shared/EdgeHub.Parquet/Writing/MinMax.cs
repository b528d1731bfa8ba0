using System.Numerics;
using System.Runtime.InteropServices;

namespace EdgeHub.Parquet.Writing;

/// <summary>Vectorised min/max for statistics. Floating-point NaN values are ignored (parquet-format: NaN must not be min or max).</summary>
internal static class MinMax
{
    public static void Of<T>(ReadOnlySpan<T> values, ref T min, ref T max) where T : unmanaged, INumber<T>
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && values.Length >= Vector<T>.Count * 2)
        {
            var vs = MemoryMarshal.Cast<T, Vector<T>>(values);
            var vmin = new Vector<T>(min);
            var vmax = new Vector<T>(max);
            var floating = typeof(T) == typeof(float) || typeof(T) == typeof(double);
            for (var k = 0; k < vs.Length; k++)
            {
                var v = vs[k];
                if (floating)
                {
                    // NaN != NaN: keep the running min/max where the lane is NaN.
                    var ok = Vector.Equals(v, v);
                    vmin = Vector.ConditionalSelect(ok, Vector.Min(vmin, v), vmin);
                    vmax = Vector.ConditionalSelect(ok, Vector.Max(vmax, v), vmax);
                }
                else
                {
                    vmin = Vector.Min(vmin, v);
                    vmax = Vector.Max(vmax, v);
                }
            }
            for (var l = 0; l < Vector<T>.Count; l++)
            {
                if (vmin[l] < min) min = vmin[l];
                if (vmax[l] > max) max = vmax[l];
            }
            i = vs.Length * Vector<T>.Count;
        }
        for (; i < values.Length; i++)
        {
            var v = values[i];
            if (v < min) min = v;
            if (v > max) max = v;
        }
    }
}
