namespace EdgeHub.Learning.Registry;

/// <summary>One commit of a regional dataset: which delta from which edge made which version.</summary>
public sealed record DatasetCommit(long Version, string? DeltaId, string? EdgeId, long? Sequence, long Rows, DateTimeOffset Timestamp);

/// <summary>The hub's dataset history, as lineage needs it (the hub implements it over its Delta tables).</summary>
public interface ILineageSource
{
    /// <summary>Commits of <paramref name="region"/>'s dataset with afterVersion &lt; version ≤ upToVersion, oldest first.</summary>
    Task<IReadOnlyList<DatasetCommit>> GetCommitsAsync(string region, long afterVersion, long upToVersion, CancellationToken cancellationToken);
}

/// <summary>Model → dataset version → deltas → edges.</summary>
public sealed record ModelLineage
{
    public required RegisteredModel Model { get; init; }
    /// <summary>Parent, grandparent, … (registry records), newest first.</summary>
    public required IReadOnlyList<RegisteredModel> Ancestors { get; init; }
    /// <summary>Every commit up to the model's dataset version: all data it (or its ancestors) could have learned from.</summary>
    public required IReadOnlyList<DatasetCommit> Commits { get; init; }
    /// <summary>Commits after the parent's dataset version: what this generation added (all commits for a full model).</summary>
    public required IReadOnlyList<DatasetCommit> NewCommits { get; init; }
    /// <summary>Distinct delta ids among <see cref="Commits"/>.</summary>
    public required IReadOnlyList<string> Deltas { get; init; }
    /// <summary>Distinct edges whose deltas are in <see cref="Commits"/>.</summary>
    public required IReadOnlyList<string> Edges { get; init; }
}

/// <summary>Answers lineage questions from the registry and the dataset history.</summary>
public static class LineageResolver
{
    /// <summary>The lineage of <paramref name="version"/>.</summary>
    /// <exception cref="InvalidOperationException">Unknown version.</exception>
    public static async Task<ModelLineage> ResolveAsync(IModelRegistryStore store, ILineageSource source, string version,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(source);
        var model = await store.GetAsync(version, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"model {version} is not in the registry");
        var ancestors = new List<RegisteredModel>();
        var seen = new HashSet<string>(StringComparer.Ordinal) { model.Version };
        var parent = model.ParentVersion;
        while (parent is not null && seen.Add(parent))
        {
            var p = await store.GetAsync(parent, cancellationToken).ConfigureAwait(false);
            if (p is null)
            {
                break;
            }

            ancestors.Add(p);
            parent = p.ParentVersion;
        }

        var commits = await source.GetCommitsAsync(model.Region, -1, model.DatasetVersion, cancellationToken).ConfigureAwait(false);
        var since = model.BaseDatasetVersion ?? -1;
        var fresh = new List<DatasetCommit>();
        var deltas = new SortedSet<string>(StringComparer.Ordinal);
        var edges = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var c in commits)
        {
            if (c.Version > since)
            {
                fresh.Add(c);
            }

            if (c.DeltaId is { } d)
            {
                deltas.Add(d);
            }

            if (c.EdgeId is { } e)
            {
                edges.Add(e);
            }
        }

        return new ModelLineage
        {
            Model = model,
            Ancestors = ancestors,
            Commits = commits,
            NewCommits = fresh,
            Deltas = [.. deltas],
            Edges = [.. edges],
        };
    }
}
