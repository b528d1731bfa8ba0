using System.Collections.Concurrent;
using EdgeHub.Contracts;

namespace EdgeHub.Edge.Store;

/// <summary>
/// One feature window with the prediction made for it, on its way to the store. Pseudonyms only: raw patient and
/// device ids never reach this type. Instances are pooled (<see cref="WindowRecordPool"/>); the store returns them.
/// </summary>
public sealed class WindowRecord
{
    /// <summary>Site the device belongs to.</summary>
    public string SiteId { get; set; } = "";

    /// <summary>HMAC pseudonym of the device id.</summary>
    public string DevicePseudonym { get; set; } = "";

    /// <summary>HMAC pseudonym of the patient id.</summary>
    public string PatientPseudonym { get; set; } = "";

    /// <summary>Device time of the window's end, µs since the epoch.</summary>
    public long WindowEndMicros { get; set; }

    /// <summary>Edge time when the window was computed, µs since the epoch.</summary>
    public long RecordedAtMicros { get; set; }

    /// <summary>The window's features (<see cref="FeatureSchema"/> order).</summary>
    public float[] Features { get; } = new float[FeatureSchema.Count];

    /// <summary>Version of the model that predicted, or null when no model ran.</summary>
    public string? ModelVersion { get; set; }

    /// <summary>Argmax class, or -1 without prediction.</summary>
    public int PredictedClass { get; set; } = -1;

    /// <summary>Class probabilities (valid when <see cref="PredictedClass"/> ≥ 0).</summary>
    public float[] Probabilities { get; } = new float[RhythmClasses.Count];

    /// <summary>The device's most severe active alert (the delta's alert_id column), or null.</summary>
    public string? AlertId { get; set; }

    /// <summary>The device's log of committed windows (the writer adds this row's id to it), or null.</summary>
    public WindowLog? Log { get; set; }

    /// <summary>Every alert of the device active for this window (a window can belong to several: hr_high and tachy).</summary>
    public List<string> AlertIds { get; } = new(2);

    internal void Reset()
    {
        ModelVersion = null;
        PredictedClass = -1;
        AlertId = null;
        AlertIds.Clear();
        Log = null;
    }
}

/// <summary>A bounded pool of <see cref="WindowRecord"/>s (the hot path allocates none in steady state).</summary>
public static class WindowRecordPool
{
    private const int MaxPooled = 8192;
    private static readonly ConcurrentQueue<WindowRecord> Pool = new();

    /// <summary>A cleared record.</summary>
    public static WindowRecord Rent() => Pool.TryDequeue(out var r) ? r : new WindowRecord();

    /// <summary>Gives a record back.</summary>
    public static void Return(WindowRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        record.Reset();
        if (Pool.Count < MaxPooled)
        {
            Pool.Enqueue(record);
        }
    }
}
