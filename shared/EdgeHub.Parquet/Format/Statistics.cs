using EdgeHub.Parquet.Thrift;

namespace EdgeHub.Parquet.Format;

/// <summary>parquet.thrift <c>Statistics</c>: min_value/max_value (5/6) are written; legacy min/max (2/1) are read as a fallback.</summary>
internal sealed class StatisticsData
{
    public byte[]? MaxValue;
    public byte[]? MinValue;
    public long? NullCount;
    public long? DistinctCount;
    public bool Legacy;

    public void Write(ThriftCompactWriter w, short fieldId)
    {
        w.StructField(fieldId);
        if (NullCount is { } nc) w.I64(3, nc);
        if (MaxValue is not null) w.Binary(5, MaxValue);
        if (MinValue is not null) w.Binary(6, MinValue);
        if (MaxValue is not null) w.Bool(7, true);
        if (MinValue is not null) w.Bool(8, true);
        w.StructEnd();
    }

    public static StatisticsData Read(ref ThriftCompactReader r)
    {
        var s = new StatisticsData();
        byte[]? legacyMax = null, legacyMin = null;
        r.StructBegin();
        while (r.NextField(out var id, out var t))
        {
            switch (id)
            {
                case 1 when t == CompactType.Binary: legacyMax = r.Binary().ToArray(); break;
                case 2 when t == CompactType.Binary: legacyMin = r.Binary().ToArray(); break;
                case 3 when t == CompactType.I64: s.NullCount = r.I64(); break;
                case 4 when t == CompactType.I64: s.DistinctCount = r.I64(); break;
                case 5 when t == CompactType.Binary: s.MaxValue = r.Binary().ToArray(); break;
                case 6 when t == CompactType.Binary: s.MinValue = r.Binary().ToArray(); break;
                default: r.Skip(t); break;
            }
        }
        r.StructEnd();
        if (s.MaxValue is null && s.MinValue is null && (legacyMax is not null || legacyMin is not null))
        {
            // Deprecated min/max used signed byte order for strings; only trust them for numeric columns (the caller decides).
            s.MaxValue = legacyMax;
            s.MinValue = legacyMin;
            s.Legacy = true;
        }
        return s;
    }
}
