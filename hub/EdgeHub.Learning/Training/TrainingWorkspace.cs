using EdgeHub.Learning.Data;

namespace EdgeHub.Learning.Training;

/// <summary>Buffers for one mini-batch's forward and backward pass, and the gradients they produce (reused every step).</summary>
internal sealed class TrainingWorkspace
{
    private readonly ForwardWorkspace _forward;
    private readonly float[][] _deltas;
    private readonly float[][] _transposed;
    private readonly float[][] _zeroBias;
    private readonly int[] _labels;
    private readonly float[] _scratch;

    public TrainingWorkspace(MlpModel model, int batch)
    {
        Batch = batch;
        _forward = new ForwardWorkspace(model, batch);
        var layers = model.Layers;
        _deltas = new float[layers.Count][];
        _transposed = new float[layers.Count][];
        _zeroBias = new float[layers.Count][];
        GradW = new float[layers.Count][];
        GradB = new float[layers.Count][];
        for (var i = 0; i < layers.Count; i++)
        {
            _deltas[i] = new float[batch * layers[i].Outputs];
            _transposed[i] = new float[layers[i].Weights.Length];
            _zeroBias[i] = new float[layers[i].Inputs];
            GradW[i] = new float[layers[i].Weights.Length];
            GradB[i] = new float[layers[i].Outputs];
        }

        _labels = new int[batch];
        var widest = model.InputCount;
        foreach (var l in layers)
        {
            widest = Math.Max(widest, l.Outputs);
        }

        _scratch = new float[batch * widest];
    }

    public int Batch { get; }

    /// <summary>∂loss/∂W per layer for the last step.</summary>
    public float[][] GradW { get; }

    /// <summary>∂loss/∂b per layer for the last step.</summary>
    public float[][] GradB { get; }

    /// <summary>Forward + backward on the rows <paramref name="rows"/>; returns the mean cross-entropy of the batch.</summary>
    public double Step(MlpModel model, TrainingSet set, ReadOnlySpan<int> rows)
    {
        var n = rows.Length;
        var a = _forward.Activations;
        set.Gather(rows, a[0]);
        model.Standardise(a[0], n);
        for (var i = 0; i < n; i++)
        {
            _labels[i] = set.Labels[rows[i]];
        }

        _forward.Forward(model, n);

        // Softmax + cross-entropy: ∂loss/∂logits = (p − onehot) / n.
        var layers = model.Layers;
        var classes = model.ClassCount;
        var probs = a[^1];
        var top = _deltas[^1];
        var loss = 0.0;
        var inv = 1f / n;
        for (var b = 0; b < n; b++)
        {
            var y = _labels[b];
            var o = b * classes;
            loss -= Math.Log(Math.Max(probs[o + y], 1e-12f));
            for (var c = 0; c < classes; c++)
            {
                top[o + c] = (probs[o + c] - (c == y ? 1f : 0f)) * inv;
            }
        }

        for (var i = layers.Count - 1; i >= 0; i--)
        {
            var l = layers[i];
            Array.Clear(GradW[i]);
            Array.Clear(GradB[i]);
            DenseKernels.AccumulateGradients(a[i], n, l.Inputs, _deltas[i], l.Outputs, GradW[i], GradB[i], _scratch);
            if (i == 0)
            {
                break;
            }

            // δ_{i-1} = (δ_i · Wᵀ) ⊙ ReLU'(a_i): the same kernel as the forward pass, on the transposed weights.
            DenseKernels.Transpose(l.Weights, l.Inputs, l.Outputs, _transposed[i]);
            var below = _deltas[i - 1].AsSpan(0, n * l.Inputs);
            DenseKernels.Forward(_deltas[i], n, l.Outputs, _transposed[i], _zeroBias[i], l.Inputs, below, relu: false);
            DenseKernels.ReluBackward(a[i].AsSpan(0, n * l.Inputs), below);
        }

        return loss / n;
    }
}
