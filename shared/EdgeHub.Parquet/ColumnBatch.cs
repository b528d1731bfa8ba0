namespace EdgeHub.Parquet;

/// <summary>
/// A batch of rows stored column by column in typed arrays (no boxing per value). Nullable columns carry a validity
/// array: <c>Valid(c)[row] == false</c> means null. Spans cover <see cref="Capacity"/> rows; only the first
/// <see cref="RowCount"/> are meaningful. <c>TimestampMicros</c> columns use <see cref="Int64"/>.
/// </summary>
public sealed class ColumnBatch
{
    private readonly Array[] _values;
    private readonly bool[]?[] _valid;
    private int _rowCount;

    /// <summary>Creates an empty batch able to hold <paramref name="capacity"/> rows.</summary>
    public ColumnBatch(ParquetSchema schema, int capacity)
    {
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        Schema = schema;
        Capacity = capacity;
        var n = schema.Fields.Count;
        _values = new Array[n];
        _valid = new bool[]?[n];
        for (var c = 0; c < n; c++)
        {
            var f = schema.Fields[c];
            _values[c] = f.Type switch
            {
                ParquetType.Boolean => new bool[capacity],
                ParquetType.Int32 => new int[capacity],
                ParquetType.Int64 or ParquetType.TimestampMicros => new long[capacity],
                ParquetType.Float => new float[capacity],
                ParquetType.Double => new double[capacity],
                _ => new string?[capacity],
            };
            if (f.Nullable) _valid[c] = new bool[capacity];
        }
    }

    /// <summary>The batch's columns.</summary>
    public ParquetSchema Schema { get; }

    /// <summary>Maximum rows this batch holds.</summary>
    public int Capacity { get; }

    /// <summary>Rows in use (0..Capacity).</summary>
    public int RowCount
    {
        get => _rowCount;
        set
        {
            if ((uint)value > (uint)Capacity)
                throw new ArgumentOutOfRangeException(nameof(value), value, $"row count must be within 0..{Capacity} (the batch capacity)");
            _rowCount = value;
        }
    }

    /// <summary>Values of a FLOAT column.</summary>
    public Span<float> Float(int column) => As<float[]>(column, ParquetType.Float);

    /// <summary>Values of a DOUBLE column.</summary>
    public Span<double> Double(int column) => As<double[]>(column, ParquetType.Double);

    /// <summary>Values of an INT32 column.</summary>
    public Span<int> Int32(int column) => As<int[]>(column, ParquetType.Int32);

    /// <summary>Values of an INT64 or TimestampMicros column.</summary>
    public Span<long> Int64(int column) => As<long[]>(column, ParquetType.Int64);

    /// <summary>Values of a BOOLEAN column.</summary>
    public Span<bool> Boolean(int column) => As<bool[]>(column, ParquetType.Boolean);

    /// <summary>Values of a STRING column (null entries are nulls for nullable columns).</summary>
    public string?[] String(int column) => As<string?[]>(column, ParquetType.String);

    /// <summary>Validity of a nullable column: false = null.</summary>
    public Span<bool> Valid(int column)
    {
        CheckColumn(column);
        return _valid[column] ?? throw new InvalidOperationException(
            $"column '{Schema.Fields[column].Name}' is not nullable and has no validity array");
    }

    /// <summary>True when the value at (column, row) is null.</summary>
    public bool IsNull(int column, int row)
    {
        CheckColumn(column);
        var valid = _valid[column];
        if (valid is not null && !valid[row]) return true;
        return _values[column] is string?[] s && s[row] is null;
    }

    /// <summary>The value at (column, row), boxed; for diagnostics and tests, not hot paths.</summary>
    public object? GetValue(int column, int row)
    {
        if (IsNull(column, row)) return null;
        return _values[column].GetValue(row);
    }

    /// <summary>A new batch with copies of the named columns (for tests and tools; copies every value).</summary>
    public ColumnBatch Project(IReadOnlyList<string> columns)
    {
        var schema = Schema.Project(columns);
        var result = new ColumnBatch(schema, RowCount) { RowCount = RowCount };
        for (var c = 0; c < columns.Count; c++)
        {
            var src = Schema.GetIndex(columns[c]);
            Array.Copy(_values[src], result._values[c], RowCount);
            if (_valid[src] is { } v) Array.Copy(v, result._valid[c]!, RowCount);
        }
        return result;
    }

    /// <summary>
    /// Copies <paramref name="count"/> values of <paramref name="column"/> starting at <paramref name="sourceRow"/> into
    /// <paramref name="target"/>'s column <paramref name="targetColumn"/> at <paramref name="targetRow"/>. Types must match;
    /// nulls may only go to a nullable target column (copying from a required column marks the target rows valid).
    /// </summary>
    public void CopyTo(int column, int sourceRow, ColumnBatch target, int targetColumn, int targetRow, int count)
    {
        ArgumentNullException.ThrowIfNull(target);
        CheckColumn(column);
        target.CheckColumn(targetColumn);
        if (Schema.Fields[column].Type != target.Schema.Fields[targetColumn].Type)
            throw new ArgumentException($"column '{Schema.Fields[column].Name}' is {Schema.Fields[column].Type}, target column is {target.Schema.Fields[targetColumn].Type}");
        Array.Copy(_values[column], sourceRow, target._values[targetColumn], targetRow, count);
        var tv = target._valid[targetColumn];
        var sv = _valid[column];
        if (tv is null)
        {
            if (sv is not null && Array.IndexOf(sv, false, sourceRow, count) >= 0)
                throw new ArgumentException($"column '{Schema.Fields[column].Name}' has nulls but the target column is not nullable");
        }
        else if (sv is not null) Array.Copy(sv, sourceRow, tv, targetRow, count);
        else Array.Fill(tv, true, targetRow, count);
    }

    /// <summary>Marks rows [<paramref name="row"/>, row+count) of a nullable column null.</summary>
    public void SetNull(int column, int row, int count)
    {
        var valid = Valid(column);
        valid.Slice(row, count).Clear();
        if (_values[column] is string?[] s) Array.Clear(s, row, count);
    }

    /// <summary>Raw storage of a column (for library internals).</summary>
    internal Array RawValues(int column) => _values[column];

    /// <summary>Raw validity of a column, or null for required columns.</summary>
    internal bool[]? RawValid(int column) => _valid[column];

    private T As<T>(int column, ParquetType expected) where T : class
    {
        CheckColumn(column);
        if (_values[column] is T typed) return typed;
        throw new InvalidOperationException(
            $"column '{Schema.Fields[column].Name}' is {Schema.Fields[column].Type}, not {expected}");
    }

    private void CheckColumn(int column)
    {
        if ((uint)column >= (uint)_values.Length)
            throw new ArgumentOutOfRangeException(nameof(column), column, $"the batch has {_values.Length} columns");
    }
}
