namespace EdgeHub.Learning.Training;

/// <summary>Adam (Kingma &amp; Ba 2015) with decoupled weight decay (AdamW, Loshchilov &amp; Hutter 2019) over every layer.</summary>
internal sealed class AdamOptimizer
{
    private const float Beta1 = 0.9f;
    private const float Beta2 = 0.999f;
    private const float Epsilon = 1e-8f;

    private readonly float[][] _mW, _vW, _mB, _vB;
    private readonly float _weightDecay;
    private int _t;

    public AdamOptimizer(MlpModel model, float weightDecay)
    {
        var n = model.Layers.Count;
        _mW = new float[n][];
        _vW = new float[n][];
        _mB = new float[n][];
        _vB = new float[n][];
        for (var i = 0; i < n; i++)
        {
            _mW[i] = new float[model.Layers[i].Weights.Length];
            _vW[i] = new float[model.Layers[i].Weights.Length];
            _mB[i] = new float[model.Layers[i].Bias.Length];
            _vB[i] = new float[model.Layers[i].Bias.Length];
        }

        _weightDecay = weightDecay;
    }

    public void Step(MlpModel model, TrainingWorkspace gradients, float learningRate)
    {
        _t++;
        var c1 = 1f / (1f - MathF.Pow(Beta1, _t));
        var c2 = 1f / (1f - MathF.Pow(Beta2, _t));
        for (var i = 0; i < model.Layers.Count; i++)
        {
            var l = model.Layers[i];
            Update(l.Weights, gradients.GradW[i], _mW[i], _vW[i], learningRate, c1, c2, _weightDecay);
            Update(l.Bias, gradients.GradB[i], _mB[i], _vB[i], learningRate, c1, c2, 0f);
        }
    }

    private static void Update(float[] p, float[] g, float[] m, float[] v, float lr, float c1, float c2, float decay)
    {
        for (var j = 0; j < p.Length; j++)
        {
            var gj = g[j];
            var mj = m[j] = (Beta1 * m[j]) + ((1 - Beta1) * gj);
            var vj = v[j] = (Beta2 * v[j]) + ((1 - Beta2) * gj * gj);
            p[j] -= lr * (((mj * c1) / (MathF.Sqrt(vj * c2) + Epsilon)) + (decay * p[j]));
        }
    }
}
