namespace EdgeHub.Learning.Training;

/// <summary>One fully connected layer: <c>y = x · W + b</c> with W row-major [Inputs × Outputs] (the ONNX MatMul layout).</summary>
public sealed class MlpLayer
{
    /// <summary>Creates a layer; the arrays are owned by the layer afterwards.</summary>
    public MlpLayer(int inputs, int outputs, float[] weights, float[] bias)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(bias);
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        if (weights.Length != inputs * outputs || bias.Length != outputs)
        {
            throw new ArgumentException(
                $"a {inputs}×{outputs} layer needs {inputs * outputs} weights and {outputs} biases; got {weights.Length} and {bias.Length}");
        }

        Inputs = inputs;
        Outputs = outputs;
        Weights = weights;
        Bias = bias;
    }

    public int Inputs { get; }
    public int Outputs { get; }

    /// <summary>Row-major [Inputs × Outputs].</summary>
    public float[] Weights { get; }

    public float[] Bias { get; }

    internal MlpLayer Clone() => new(Inputs, Outputs, (float[])Weights.Clone(), (float[])Bias.Clone());
}

/// <summary>
/// A trained classifier: standardisation (mean, std per feature) followed by dense layers, ReLU between them, softmax at the end.
/// With no hidden layer it is multinomial logistic regression. The same numbers go into the ONNX graph, so inference here and in
/// ONNX Runtime agree.
/// </summary>
public sealed class MlpModel
{
    /// <summary>Creates a model; arrays are owned by the model afterwards.</summary>
    public MlpModel(float[] mean, float[] std, IReadOnlyList<MlpLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0)
        {
            throw new ArgumentException("a model needs at least one layer", nameof(layers));
        }

        if (mean.Length != std.Length || mean.Length != layers[0].Inputs)
        {
            throw new ArgumentException($"standardisation has {mean.Length} means and {std.Length} stds; the first layer takes {layers[0].Inputs} inputs");
        }

        for (var i = 1; i < layers.Count; i++)
        {
            if (layers[i].Inputs != layers[i - 1].Outputs)
            {
                throw new ArgumentException($"layer {i} takes {layers[i].Inputs} inputs but layer {i - 1} gives {layers[i - 1].Outputs}");
            }
        }

        foreach (var s in std)
        {
            if (!(s > 0f) || !float.IsFinite(s))
            {
                throw new ArgumentException("every standard deviation must be a positive finite number", nameof(std));
            }
        }

        Mean = mean;
        Std = std;
        Layers = layers;
    }

    /// <summary>Per-feature mean subtracted before the first layer.</summary>
    public float[] Mean { get; }

    /// <summary>Per-feature standard deviation divided by after subtracting the mean.</summary>
    public float[] Std { get; }

    public IReadOnlyList<MlpLayer> Layers { get; }

    public int InputCount => Mean.Length;

    public int ClassCount => Layers[^1].Outputs;

    /// <summary>"mlp-32-64-32-6" or "logreg-32-6": widths of every layer boundary.</summary>
    public string Architecture
    {
        get
        {
            var parts = new List<string> { Layers.Count == 1 ? "logreg" : "mlp", InputCount.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            foreach (var l in Layers)
            {
                parts.Add(l.Outputs.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            return string.Join('-', parts);
        }
    }

    /// <summary>Number of trainable parameters.</summary>
    public int ParameterCount
    {
        get
        {
            var n = 0;
            foreach (var l in Layers)
            {
                n += l.Weights.Length + l.Bias.Length;
            }

            return n;
        }
    }

    /// <summary>A deep copy (the start of a differential training run).</summary>
    public MlpModel Clone()
    {
        var layers = new MlpLayer[Layers.Count];
        for (var i = 0; i < layers.Length; i++)
        {
            layers[i] = Layers[i].Clone();
        }

        return new MlpModel((float[])Mean.Clone(), (float[])Std.Clone(), layers);
    }

    /// <summary>
    /// Class probabilities for <paramref name="rows"/> raw (unstandardised) feature rows, [rows × InputCount] in,
    /// [rows × ClassCount] out. Works in blocks, so memory stays bounded for any row count.
    /// </summary>
    public void Predict(ReadOnlySpan<float> features, int rows, Span<float> probabilities)
    {
        if (features.Length < rows * InputCount || probabilities.Length < rows * ClassCount)
        {
            throw new ArgumentException($"{rows} rows need {rows * InputCount} feature values and room for {rows * ClassCount} probabilities");
        }

        var ws = new ForwardWorkspace(this, Math.Min(rows, ForwardWorkspace.DefaultBlock));
        for (var start = 0; start < rows; start += ws.Capacity)
        {
            var n = Math.Min(ws.Capacity, rows - start);
            features.Slice(start * InputCount, n * InputCount).CopyTo(ws.Activations[0]);
            Standardise(ws.Activations[0].AsSpan(0, n * InputCount), n);
            ws.Forward(this, n);
            ws.Activations[^1].AsSpan(0, n * ClassCount).CopyTo(probabilities.Slice(start * ClassCount, n * ClassCount));
        }
    }

    /// <summary>Class probabilities for selected rows of a <see cref="Data.TrainingSet"/> (e.g. its holdout).</summary>
    public float[] Predict(Data.TrainingSet set, ReadOnlySpan<int> rowIndices)
    {
        ArgumentNullException.ThrowIfNull(set);
        var probabilities = new float[rowIndices.Length * ClassCount];
        var ws = new ForwardWorkspace(this, Math.Max(1, Math.Min(rowIndices.Length, ForwardWorkspace.DefaultBlock)));
        for (var start = 0; start < rowIndices.Length; start += ws.Capacity)
        {
            var n = Math.Min(ws.Capacity, rowIndices.Length - start);
            set.Gather(rowIndices.Slice(start, n), ws.Activations[0]);
            Standardise(ws.Activations[0].AsSpan(0, n * InputCount), n);
            ws.Forward(this, n);
            ws.Activations[^1].AsSpan(0, n * ClassCount).CopyTo(probabilities.AsSpan(start * ClassCount, n * ClassCount));
        }

        return probabilities;
    }

    /// <summary>In place: x ← (x − mean) / std, the same Sub then Div the ONNX graph performs.</summary>
    internal void Standardise(Span<float> block, int rows)
    {
        var f = InputCount;
        for (var b = 0; b < rows; b++)
        {
            var row = block.Slice(b * f, f);
            for (var k = 0; k < f; k++)
            {
                row[k] = (row[k] - Mean[k]) / Std[k];
            }
        }
    }
}

/// <summary>Activation buffers for forward passes over blocks of rows (index 0: standardised input; last: probabilities).</summary>
internal sealed class ForwardWorkspace
{
    public const int DefaultBlock = 1024;

    public ForwardWorkspace(MlpModel model, int capacity)
    {
        Capacity = capacity;
        Activations = new float[model.Layers.Count + 1][];
        Activations[0] = new float[capacity * model.InputCount];
        for (var i = 0; i < model.Layers.Count; i++)
        {
            Activations[i + 1] = new float[capacity * model.Layers[i].Outputs];
        }
    }

    public int Capacity { get; }

    public float[][] Activations { get; }

    /// <summary>Runs every layer on the first <paramref name="rows"/> rows of Activations[0].</summary>
    public void Forward(MlpModel model, int rows)
    {
        var layers = model.Layers;
        for (var i = 0; i < layers.Count; i++)
        {
            var l = layers[i];
            var last = i == layers.Count - 1;
            DenseKernels.Forward(Activations[i], rows, l.Inputs, l.Weights, l.Bias, l.Outputs, Activations[i + 1], relu: !last);
        }

        DenseKernels.Softmax(Activations[^1], rows, model.ClassCount);
    }
}
