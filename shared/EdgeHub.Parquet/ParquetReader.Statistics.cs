using System.Buffers.Binary;
using EdgeHub.Parquet.Format;

namespace EdgeHub.Parquet;

/// <summary>Column chunk statistics as stored in the footer, decoded to the column's value type.</summary>
/// <param name="NullCount">Nulls in the chunk, when recorded.</param>
/// <param name="Min">Smallest non-NaN value (float, double, int, long, bool or string), when recorded.</param>
/// <param name="Max">Largest non-NaN value, when recorded.</param>
public sealed record ColumnStatistics(long? NullCount, object? Min, object? Max);

public sealed partial class ParquetReader
{
    /// <summary>Statistics of one column chunk (null when the writer stored none).</summary>
    public ColumnStatistics? GetStatistics(int rowGroup, string column)
    {
        var c = Schema.GetIndex(column);
        var d = _columns[c];
        var s = Group(rowGroup).Columns[d.ChunkIndex].Statistics;
        if (s is null) return null;
        // Deprecated min/max of strings used signed byte order; only their numeric forms are trustworthy.
        var trusted = !s.Legacy || d.Field.Type != ParquetType.String;
        return new ColumnStatistics(s.NullCount,
            trusted ? Decode(d, s.MinValue) : null,
            trusted ? Decode(d, s.MaxValue) : null);
    }

    /// <summary>
    /// False when the chunk statistics prove that row group <paramref name="rowGroup"/> has no non-null value of the numeric
    /// column within [<paramref name="min"/>, <paramref name="max"/>]; true when it may (or no statistics exist).
    /// </summary>
    public bool RowGroupMayContain(int rowGroup, string column, double? min, double? max)
    {
        var st = GetStatistics(rowGroup, column);
        if (st?.Min is null || st.Max is null) return true;
        var lo = Convert.ToDouble(st.Min, System.Globalization.CultureInfo.InvariantCulture);
        var hi = Convert.ToDouble(st.Max, System.Globalization.CultureInfo.InvariantCulture);
        if (min is { } a && hi < a) return false;
        if (max is { } b && lo > b) return false;
        return true;
    }

    /// <summary>Reads only the row groups whose statistics allow values of <paramref name="column"/> in [min, max] (row-group skipping; rows are not filtered).</summary>
    public ColumnBatch ReadOverlapping(string column, double? min, double? max, IReadOnlyList<string>? columns = null)
    {
        var groups = new List<int>();
        for (var g = 0; g < RowGroupCount; g++)
            if (RowGroupMayContain(g, column, min, max)) groups.Add(g);
        return ReadRowGroups(groups, columns);
    }

    private static object? Decode(Reading.ColumnDescriptor d, byte[]? v)
    {
        if (v is null) return null;
        return d.Physical switch
        {
            PhysicalType.Boolean when v.Length >= 1 => v[0] != 0,
            PhysicalType.Int32 when v.Length >= 4 => BinaryPrimitives.ReadInt32LittleEndian(v),
            PhysicalType.Int64 when v.Length >= 8 => ScaleTimestamp(d, BinaryPrimitives.ReadInt64LittleEndian(v)),
            PhysicalType.Float when v.Length >= 4 => BinaryPrimitives.ReadSingleLittleEndian(v),
            PhysicalType.Double when v.Length >= 8 => BinaryPrimitives.ReadDoubleLittleEndian(v),
            PhysicalType.ByteArray => System.Text.Encoding.UTF8.GetString(v),
            _ => null,
        };
    }

    private static long ScaleTimestamp(Reading.ColumnDescriptor d, long v) => d.TimestampUnit switch
    {
        TimeUnit.Millis => v * 1000,
        TimeUnit.Nanos => v / 1000,
        _ => v,
    };
}
