namespace EdgeHub.Datasets;

public sealed partial class DeltaTable
{
    private void LoadFromCheckpoint() => _ = LogPath;

    private TableState? LoadCheckpointAtOrBelow(long version) => version < 0 || LogPath.Length == 0 ? null : null;

    private void MaybeCheckpoint(long version) => _ = version + _options.CheckpointInterval;
}
