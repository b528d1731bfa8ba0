using EdgeHub.Parquet.Thrift;

namespace EdgeHub.Parquet.Format;

/// <summary>Parses <see cref="FileMetaData"/> from the footer; unknown fields are skipped, required ones are checked.</summary>
internal static class FileMetaDataReader
{
    public static FileMetaData Read(ReadOnlySpan<byte> footer)
    {
        var r = new ThriftCompactReader(footer, "Parquet footer");
        var m = new FileMetaData();
        bool hasSchema = false, hasRows = false, hasGroups = false;
        r.StructBegin();
        while (r.NextField(out var id, out var t))
        {
            switch (id)
            {
                case 1 when t == CompactType.I32: m.Version = r.I32(); break;
                case 2 when t == CompactType.List:
                    {
                        var n = r.ListHeader(out _);
                        for (var i = 0; i < n; i++) m.Schema.Add(ReadSchemaElement(ref r));
                        hasSchema = true;
                        break;
                    }
                case 3 when t == CompactType.I64: m.NumRows = r.I64(); hasRows = true; break;
                case 4 when t == CompactType.List:
                    {
                        var n = r.ListHeader(out _);
                        for (var i = 0; i < n; i++) m.RowGroups.Add(ReadRowGroup(ref r));
                        hasGroups = true;
                        break;
                    }
                case 5 when t == CompactType.List:
                    {
                        var n = r.ListHeader(out _);
                        for (var i = 0; i < n; i++) m.KeyValues.Add(ReadKeyValue(ref r));
                        break;
                    }
                case 6 when t == CompactType.Binary: m.CreatedBy = r.String(); break;
                case 7 when t == CompactType.List:
                    {
                        var n = r.ListHeader(out var et);
                        for (var i = 0; i < n; i++) r.Skip(et);
                        m.ColumnOrders = n;
                        break;
                    }
                default: r.Skip(t); break;
            }
        }
        r.StructEnd();
        if (!hasSchema || !hasRows || !hasGroups) throw r.Error("FileMetaData lacks schema, num_rows or row_groups");
        if (m.NumRows < 0) throw r.Error($"negative num_rows {m.NumRows}");
        return m;
    }

    private static KeyValuePair<string, string?> ReadKeyValue(ref ThriftCompactReader r)
    {
        string? key = null, value = null;
        r.StructBegin();
        while (r.NextField(out var id, out var t))
        {
            if (id == 1 && t == CompactType.Binary) key = r.String();
            else if (id == 2 && t == CompactType.Binary) value = r.String();
            else r.Skip(t);
        }
        r.StructEnd();
        return new(key ?? throw r.Error("KeyValue without key"), value);
    }

    private static SchemaElement ReadSchemaElement(ref ThriftCompactReader r)
    {
        var e = new SchemaElement();
        var hasName = false;
        r.StructBegin();
        while (r.NextField(out var id, out var t))
        {
            switch (id)
            {
                case 1 when t == CompactType.I32: e.Type = (PhysicalType)r.I32(); break;
                case 3 when t == CompactType.I32: e.Repetition = (Repetition)r.I32(); break;
                case 4 when t == CompactType.Binary: e.Name = r.String(); hasName = true; break;
                case 5 when t == CompactType.I32: e.NumChildren = r.I32(); break;
                case 6 when t == CompactType.I32: e.ConvertedType = r.I32(); break;
                case 10 when t == CompactType.Struct: ReadLogicalType(ref r, e); break;
                default: r.Skip(t); break;
            }
        }
        r.StructEnd();
        if (!hasName) throw r.Error("SchemaElement without name");
        return e;
    }

    private static void ReadLogicalType(ref ThriftCompactReader r, SchemaElement e)
    {
        r.StructBegin();
        while (r.NextField(out var id, out var t))
        {
            if (id == 1 && t == CompactType.Struct) { e.LogicalString = true; r.Skip(t); }
            else if (id == 8 && t == CompactType.Struct) ReadTimestamp(ref r, e);
            else { e.HasOtherLogicalType = true; r.Skip(t); }
        }
        r.StructEnd();
    }

    private static void ReadTimestamp(ref ThriftCompactReader r, SchemaElement e)
    {
        r.StructBegin();
        while (r.NextField(out var id, out var t))
        {
            if (id == 1 && t is CompactType.BoolTrue or CompactType.BoolFalse) e.TimestampUtc = t == CompactType.BoolTrue;
            else if (id == 2 && t == CompactType.Struct)
            {
                r.StructBegin();
                while (r.NextField(out var uid, out var ut))
                {
                    if (ut == CompactType.Struct && uid is >= 1 and <= 3) e.TimestampUnit = (TimeUnit)uid;
                    r.Skip(ut);
                }
                r.StructEnd();
            }
            else r.Skip(t);
        }
        r.StructEnd();
    }

    private static RowGroupData ReadRowGroup(ref ThriftCompactReader r)
    {
        var g = new RowGroupData();
        r.StructBegin();
        while (r.NextField(out var id, out var t))
        {
            switch (id)
            {
                case 1 when t == CompactType.List:
                    {
                        var n = r.ListHeader(out _);
                        for (var i = 0; i < n; i++) g.Columns.Add(ReadColumnChunk(ref r));
                        break;
                    }
                case 2 when t == CompactType.I64: g.TotalByteSize = r.I64(); break;
                case 3 when t == CompactType.I64: g.NumRows = r.I64(); break;
                case 5 when t == CompactType.I64: g.FileOffset = r.I64(); break;
                case 6 when t == CompactType.I64: g.TotalCompressedSize = r.I64(); break;
                default: r.Skip(t); break;
            }
        }
        r.StructEnd();
        if (g.NumRows < 0) throw r.Error($"row group with negative num_rows {g.NumRows}");
        return g;
    }

    private static ColumnMetaData ReadColumnChunk(ref ThriftCompactReader r)
    {
        ColumnMetaData? meta = null;
        string? filePath = null;
        r.StructBegin();
        while (r.NextField(out var id, out var t))
        {
            if (id == 1 && t == CompactType.Binary) filePath = r.String();
            else if (id == 3 && t == CompactType.Struct) meta = ReadColumnMeta(ref r);
            else r.Skip(t);
        }
        r.StructEnd();
        if (filePath is not null) throw r.Error($"column chunk stored in another file ('{filePath}') is not supported");
        return meta ?? throw r.Error("column chunk without meta_data (encrypted or external columns are not supported)");
    }

    private static ColumnMetaData ReadColumnMeta(ref ThriftCompactReader r)
    {
        var c = new ColumnMetaData();
        r.StructBegin();
        while (r.NextField(out var id, out var t))
        {
            switch (id)
            {
                case 1 when t == CompactType.I32: c.Type = (PhysicalType)r.I32(); break;
                case 2 when t == CompactType.List:
                    {
                        var n = r.ListHeader(out _);
                        for (var i = 0; i < n; i++) c.Encodings.Add((PageEncoding)r.I32());
                        break;
                    }
                case 3 when t == CompactType.List:
                    {
                        var n = r.ListHeader(out _);
                        for (var i = 0; i < n; i++) c.Path.Add(r.String());
                        break;
                    }
                case 4 when t == CompactType.I32: c.Codec = (Codec)r.I32(); break;
                case 5 when t == CompactType.I64: c.NumValues = r.I64(); break;
                case 6 when t == CompactType.I64: c.TotalUncompressedSize = r.I64(); break;
                case 7 when t == CompactType.I64: c.TotalCompressedSize = r.I64(); break;
                case 9 when t == CompactType.I64: c.DataPageOffset = r.I64(); break;
                case 11 when t == CompactType.I64: c.DictionaryPageOffset = r.I64(); break;
                case 12 when t == CompactType.Struct: c.Statistics = StatisticsData.Read(ref r); break;
                default: r.Skip(t); break;
            }
        }
        r.StructEnd();
        return c;
    }
}
