namespace EdgeHub.Learning.Registry;

/// <summary>A registry in memory (tests, benchmarks).</summary>
public sealed class InMemoryModelRegistryStore : IModelRegistryStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (RegisteredModel Model, byte[] Onnx)> _models = new(StringComparer.Ordinal);

    public Task<bool> AddAsync(RegisteredModel model, ReadOnlyMemory<byte> onnx, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(model);
        lock (_lock)
        {
            return Task.FromResult(_models.TryAdd(model.Version, (model, onnx.ToArray())));
        }
    }

    public Task<RegisteredModel?> GetAsync(string version, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_models.TryGetValue(version, out var e) ? e.Model : null);
        }
    }

    public Task<IReadOnlyList<RegisteredModel>> ListAsync(string? region, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var list = new List<RegisteredModel>();
            foreach (var (model, _) in _models.Values)
            {
                if (region is null || model.Region == region)
                {
                    list.Add(model);
                }
            }

            list.Sort(static (a, b) => b.CreatedAt != a.CreatedAt ? b.CreatedAt.CompareTo(a.CreatedAt) : ModelVersions.Compare(b.Version, a.Version));
            return Task.FromResult<IReadOnlyList<RegisteredModel>>(list);
        }
    }

    public Task<byte[]?> GetOnnxAsync(string version, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_models.TryGetValue(version, out var e) ? (byte[])e.Onnx.Clone() : null);
        }
    }

    public Task<bool> SetStatusAsync(string version, string status, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (!_models.TryGetValue(version, out var e))
            {
                return Task.FromResult(false);
            }

            _models[version] = (e.Model with { Status = status }, e.Onnx);
            return Task.FromResult(true);
        }
    }
}
