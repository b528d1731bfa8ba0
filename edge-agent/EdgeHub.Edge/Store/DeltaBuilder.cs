using System.Runtime.InteropServices;
using EdgeHub.Contracts;
using EdgeHub.Parquet;
using Microsoft.Data.Sqlite;

namespace EdgeHub.Edge.Store;

/// <summary>
/// Turns store rows into one Parquet delta in <see cref="DeltaSchema"/> (window rows first, then label rows), written in
/// <see cref="DeltaFileFormat"/>'s Parquet form so edges and the hub agree by construction.
/// </summary>
public sealed class DeltaBuilder
{
    private static readonly int RowKind = DeltaSchema.IndexOf("row_kind");
    private static readonly int WindowId = DeltaSchema.IndexOf("window_id");
    private static readonly int EdgeId = DeltaSchema.IndexOf("edge_id");
    private static readonly int SiteId = DeltaSchema.IndexOf("site_id");
    private static readonly int Device = DeltaSchema.IndexOf("device_pseudonym");
    private static readonly int Patient = DeltaSchema.IndexOf("patient_pseudonym");
    private static readonly int WindowEnd = DeltaSchema.IndexOf("window_end");
    private static readonly int RecordedAt = DeltaSchema.IndexOf("recorded_at");
    private static readonly int ModelVersion = DeltaSchema.IndexOf("model_version");
    private static readonly int PredictedClass = DeltaSchema.IndexOf("predicted_class");
    private static readonly int FirstProbability = DeltaSchema.IndexOf(DeltaSchema.ProbabilityColumn(RhythmClass.Normal));
    private static readonly int AlertId = DeltaSchema.IndexOf("alert_id");
    private static readonly int Label = DeltaSchema.IndexOf("label");
    private static readonly int LabelAction = DeltaSchema.IndexOf("label_action");
    private static readonly int LabelledAt = DeltaSchema.IndexOf("labelled_at");

    private readonly string _edgeId;
    private readonly ColumnBatch _batch;

    /// <summary>Creates a builder for at most <paramref name="capacity"/> rows.</summary>
    public DeltaBuilder(string edgeId, int capacity)
    {
        _edgeId = edgeId;
        _batch = new ColumnBatch(DeltaFileFormat.Schema, capacity);
    }

    /// <summary>Rows added so far.</summary>
    public int Rows { get; private set; }

    /// <summary>Rows the builder holds at most.</summary>
    public int Capacity => _batch.Capacity;

    /// <summary>
    /// Empties the builder for the next delta, exactly as a new one (every value and validity flag cleared). The store keeps
    /// one builder: at thousands of windows a second, a new batch per seal put megabytes of column arrays on the large
    /// object heap every few seconds.
    /// </summary>
    public void Reset()
    {
        var fields = _batch.Schema.Fields;
        for (var c = 0; c < fields.Count; c++)
        {
            switch (fields[c].Type)
            {
                case ParquetType.Boolean: _batch.Boolean(c).Clear(); break;
                case ParquetType.Int32: _batch.Int32(c).Clear(); break;
                case ParquetType.Int64 or ParquetType.TimestampMicros: _batch.Int64(c).Clear(); break;
                case ParquetType.Float: _batch.Float(c).Clear(); break;
                case ParquetType.Double: _batch.Double(c).Clear(); break;
                default: Array.Clear(_batch.String(c)); break;
            }

            if (fields[c].Nullable)
            {
                _batch.Valid(c).Clear();
            }
        }

        Rows = 0;
        _batch.RowCount = 0;
    }

    /// <summary>Adds the window rows <paramref name="cmd"/> selects; returns the largest row id (0 if none).</summary>
    internal long AddWindows(SqliteCommand cmd)
    {
        long maxId = 0;
        Span<float> features = stackalloc float[FeatureSchema.Count];
        Span<float> probs = stackalloc float[RhythmClasses.Count];
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var row = Rows++;
            var id = r.GetInt64(0);
            maxId = id;
            SetCommon(row, RowKindWindowName, $"{_edgeId}-w{id}", r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt64(4), r.GetInt64(5));
            var blob = (byte[])r.GetValue(6);
            MemoryMarshal.Cast<byte, float>(blob).CopyTo(features);
            for (var f = 0; f < FeatureSchema.Count; f++)
            {
                var value = features[f];
                var valid = float.IsFinite(value);
                _batch.Float(DeltaSchema.FirstFeatureColumn + f)[row] = valid ? value : 0;
                _batch.Valid(DeltaSchema.FirstFeatureColumn + f)[row] = valid;
            }

            var hasPrediction = !r.IsDBNull(8);
            SetString(ModelVersion, row, r.IsDBNull(7) ? null : r.GetString(7));
            SetInt(PredictedClass, row, hasPrediction ? r.GetInt32(8) : null);
            if (hasPrediction)
            {
                MemoryMarshal.Cast<byte, float>((byte[])r.GetValue(9)).CopyTo(probs);
            }

            for (var c = 0; c < RhythmClasses.Count; c++)
            {
                _batch.Float(FirstProbability + c)[row] = hasPrediction ? probs[c] : 0;
                _batch.Valid(FirstProbability + c)[row] = hasPrediction;
            }

            SetString(AlertId, row, r.IsDBNull(10) ? null : r.GetString(10));
            SetInt(Label, row, r.IsDBNull(11) ? null : r.GetInt32(11));
            SetString(LabelAction, row, r.IsDBNull(12) ? null : r.GetString(12));
            SetTime(LabelledAt, row, r.IsDBNull(13) ? null : r.GetInt64(13));
        }

        _batch.RowCount = Rows;
        return maxId;
    }

    /// <summary>Adds the label rows <paramref name="cmd"/> selects; returns the largest row id (0 if none).</summary>
    internal long AddLabels(SqliteCommand cmd)
    {
        long maxId = 0;
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            var row = Rows++;
            maxId = r.GetInt64(0);
            SetCommon(row, RowKindLabelName, r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetInt64(5), r.GetInt64(6));
            for (var f = 0; f < FeatureSchema.Count; f++)
            {
                _batch.Valid(DeltaSchema.FirstFeatureColumn + f)[row] = false;
            }

            SetString(ModelVersion, row, null);
            SetInt(PredictedClass, row, null);
            for (var c = 0; c < RhythmClasses.Count; c++)
            {
                _batch.Valid(FirstProbability + c)[row] = false;
            }

            SetString(AlertId, row, r.IsDBNull(7) ? null : r.GetString(7));
            SetInt(Label, row, r.IsDBNull(8) ? null : r.GetInt32(8));
            SetString(LabelAction, row, r.GetString(9));
            SetTime(LabelledAt, row, r.GetInt64(10));
        }

        _batch.RowCount = Rows;
        return maxId;
    }

    /// <summary>Writes the rows as one Parquet file (one row group) with the delta's identity in the footer metadata.</summary>
    public byte[] Build(string deltaId, long sequence, ParquetCompression compression)
    {
        _batch.RowCount = Rows;
        return DeltaFileFormat.Write(_batch, compression, new DeltaFileIdentity(_edgeId, deltaId, sequence));
    }

    /// <summary>
    /// Lets go of the rows' strings (ids, pseudonyms, model versions) once the delta is built; the other columns stay until
    /// <see cref="Reset"/>. Held until the next seal, thousands of strings per delta outlived two GCs and died in gen 2,
    /// where only a full GC frees them (at 10,000 windows a second: megabytes a second of gen 2 growth).
    /// </summary>
    public void ReleaseStrings()
    {
        var fields = _batch.Schema.Fields;
        for (var c = 0; c < fields.Count; c++)
        {
            if (fields[c].Type is ParquetType.String)
            {
                Array.Clear(_batch.String(c), 0, Rows);
            }
        }
    }

    private const string RowKindWindowName = DeltaSchema.RowKindWindow;
    private const string RowKindLabelName = DeltaSchema.RowKindLabel;

    private void SetCommon(int row, string kind, string windowId, string site, string device, string patient, long end, long recorded)
    {
        _batch.String(RowKind)[row] = kind;
        _batch.String(WindowId)[row] = windowId;
        _batch.String(EdgeId)[row] = _edgeId;
        _batch.String(SiteId)[row] = site;
        _batch.String(Device)[row] = device;
        _batch.String(Patient)[row] = patient;
        _batch.Int64(WindowEnd)[row] = end;
        _batch.Int64(RecordedAt)[row] = recorded;
    }

    private void SetString(int column, int row, string? value)
    {
        _batch.String(column)[row] = value;
        _batch.Valid(column)[row] = value is not null;
    }

    private void SetInt(int column, int row, int? value)
    {
        _batch.Int32(column)[row] = value ?? 0;
        _batch.Valid(column)[row] = value.HasValue;
    }

    private void SetTime(int column, int row, long? value)
    {
        _batch.Int64(column)[row] = value ?? 0;
        _batch.Valid(column)[row] = value.HasValue;
    }
}
