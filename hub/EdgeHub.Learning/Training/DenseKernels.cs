using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeHub.Learning.Training;

/// <summary>
/// The few dense kernels an MLP needs, on row-major float buffers. Outputs are computed in register-blocked chunks of
/// 32 columns (four 256-bit accumulators) so the weights stream from L1 and accumulators stay in registers; columns that do not
/// fill a vector fall back to scalar code. Single-threaded and deterministic for a given machine (fused multiply-add when the
/// CPU has it, always the same instruction sequence).
/// </summary>
internal static unsafe class DenseKernels
{
    /// <summary>
    /// out[b, :] = bias + Σ_k input[b, k] · weights[k, :] for every row b, then ReLU when <paramref name="relu"/>.
    /// input is [rows × inputs], weights [inputs × outputs] row-major, output [rows × outputs].
    /// </summary>
    public static void Forward(ReadOnlySpan<float> input, int rows, int inputs, ReadOnlySpan<float> weights,
        ReadOnlySpan<float> bias, int outputs, Span<float> output, bool relu)
    {
        fixed (float* x = input)
        fixed (float* w = weights)
        fixed (float* bb = bias)
        fixed (float* o = output)
        {
            for (var b = 0; b < rows; b++)
            {
                RowTimesMatrix(x + (b * inputs), inputs, w, bb, outputs, o + (b * outputs));
                if (relu)
                {
                    Relu(o + (b * outputs), outputs);
                }
            }
        }
    }

    /// <summary>
    /// gradW[k, :] += Σ_b input[b, k] · delta[b, :]; gradB[:] += Σ_b delta[b, :]. <paramref name="scratch"/> (≥ rows × inputs)
    /// receives the transposed input so the inner loop reads it contiguously.
    /// </summary>
    public static void AccumulateGradients(ReadOnlySpan<float> input, int rows, int inputs, ReadOnlySpan<float> delta, int outputs,
        Span<float> gradW, Span<float> gradB, Span<float> scratch)
    {
        Transpose(input[..(rows * inputs)], rows, inputs, scratch);
        fixed (float* x = scratch)
        fixed (float* d = delta)
        fixed (float* gw = gradW)
        fixed (float* gb = gradB)
        {
            for (var k = 0; k < inputs; k++)
            {
                var xt = x + (k * rows);
                var row = gw + (k * outputs);
                var j = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    for (; j + 32 <= outputs; j += 32)
                    {
                        var a0 = Vector256.Load(row + j);
                        var a1 = Vector256.Load(row + j + 8);
                        var a2 = Vector256.Load(row + j + 16);
                        var a3 = Vector256.Load(row + j + 24);
                        for (var b = 0; b < rows; b++)
                        {
                            var vs = Vector256.Create(xt[b]);
                            var dr = d + (b * outputs) + j;
                            a0 = Vector256.MultiplyAddEstimate(vs, Vector256.Load(dr), a0);
                            a1 = Vector256.MultiplyAddEstimate(vs, Vector256.Load(dr + 8), a1);
                            a2 = Vector256.MultiplyAddEstimate(vs, Vector256.Load(dr + 16), a2);
                            a3 = Vector256.MultiplyAddEstimate(vs, Vector256.Load(dr + 24), a3);
                        }

                        a0.Store(row + j);
                        a1.Store(row + j + 8);
                        a2.Store(row + j + 16);
                        a3.Store(row + j + 24);
                    }

                    for (; j + 8 <= outputs; j += 8)
                    {
                        var a0 = Vector256.Load(row + j);
                        for (var b = 0; b < rows; b++)
                        {
                            a0 = Vector256.MultiplyAddEstimate(Vector256.Create(xt[b]), Vector256.Load(d + (b * outputs) + j), a0);
                        }

                        a0.Store(row + j);
                    }
                }

                if (j < outputs)
                {
                    for (var b = 0; b < rows; b++)
                    {
                        var s = xt[b];
                        var dr = d + (b * outputs);
                        for (var jj = j; jj < outputs; jj++)
                        {
                            row[jj] += s * dr[jj];
                        }
                    }
                }
            }

            for (var b = 0; b < rows; b++)
            {
                var dr = d + (b * outputs);
                for (var jj = 0; jj < outputs; jj++)
                {
                    gb[jj] += dr[jj];
                }
            }
        }
    }

    /// <summary>Transposes a row-major [rows × cols] matrix into [cols × rows].</summary>
    public static void Transpose(ReadOnlySpan<float> source, int rows, int cols, Span<float> destination)
    {
        for (var r = 0; r < rows; r++)
        {
            var src = source.Slice(r * cols, cols);
            for (var c = 0; c < cols; c++)
            {
                destination[(c * rows) + r] = src[c];
            }
        }
    }

    /// <summary>Zeroes gradient entries whose forward activation was clipped by ReLU (activation ≤ 0). Branch-free: the sign is random.</summary>
    public static void ReluBackward(ReadOnlySpan<float> activation, Span<float> delta)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            fixed (float* a = activation)
            fixed (float* d = delta)
            {
                for (; i + 8 <= delta.Length; i += 8)
                {
                    var mask = Vector256.GreaterThan(Vector256.Load(a + i), Vector256<float>.Zero);
                    (Vector256.Load(d + i) & mask).Store(d + i);
                }
            }
        }

        for (; i < delta.Length; i++)
        {
            delta[i] = activation[i] > 0f ? delta[i] : 0f;
        }
    }

    /// <summary>In-place softmax of every row of a [rows × classes] buffer (max-subtracted for range safety).</summary>
    public static void Softmax(Span<float> logits, int rows, int classes)
    {
        for (var b = 0; b < rows; b++)
        {
            var row = logits.Slice(b * classes, classes);
            var max = row[0];
            for (var c = 1; c < classes; c++)
            {
                max = MathF.Max(max, row[c]);
            }

            var sum = 0f;
            for (var c = 0; c < classes; c++)
            {
                var e = MathF.Exp(row[c] - max);
                row[c] = e;
                sum += e;
            }

            var inv = 1f / sum;
            for (var c = 0; c < classes; c++)
            {
                row[c] *= inv;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void RowTimesMatrix(float* x, int inputs, float* w, float* bias, int outputs, float* o)
    {
        var j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 32 <= outputs; j += 32)
            {
                var a0 = Vector256.Load(bias + j);
                var a1 = Vector256.Load(bias + j + 8);
                var a2 = Vector256.Load(bias + j + 16);
                var a3 = Vector256.Load(bias + j + 24);
                for (var k = 0; k < inputs; k++)
                {
                    var vs = Vector256.Create(x[k]);
                    var wr = w + (k * outputs) + j;
                    a0 = Vector256.MultiplyAddEstimate(vs, Vector256.Load(wr), a0);
                    a1 = Vector256.MultiplyAddEstimate(vs, Vector256.Load(wr + 8), a1);
                    a2 = Vector256.MultiplyAddEstimate(vs, Vector256.Load(wr + 16), a2);
                    a3 = Vector256.MultiplyAddEstimate(vs, Vector256.Load(wr + 24), a3);
                }

                a0.Store(o + j);
                a1.Store(o + j + 8);
                a2.Store(o + j + 16);
                a3.Store(o + j + 24);
            }

            for (; j + 8 <= outputs; j += 8)
            {
                var a0 = Vector256.Load(bias + j);
                for (var k = 0; k < inputs; k++)
                {
                    a0 = Vector256.MultiplyAddEstimate(Vector256.Create(x[k]), Vector256.Load(w + (k * outputs) + j), a0);
                }

                a0.Store(o + j);
            }
        }

        if (j < outputs)
        {
            // Narrow remainder (the 6 class logits): k outer so the columns' sums are independent, not one long chain each.
            for (var jj = j; jj < outputs; jj++)
            {
                o[jj] = bias[jj];
            }

            for (var k = 0; k < inputs; k++)
            {
                var s = x[k];
                var wr = w + (k * outputs);
                for (var jj = j; jj < outputs; jj++)
                {
                    o[jj] += s * wr[jj];
                }
            }
        }
    }

    private static void Relu(float* o, int n)
    {
        var j = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; j + 8 <= n; j += 8)
            {
                Vector256.Max(Vector256.Load(o + j), Vector256<float>.Zero).Store(o + j);
            }
        }

        for (; j < n; j++)
        {
            o[j] = MathF.Max(o[j], 0f);
        }
    }
}
