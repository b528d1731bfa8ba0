using EdgeHub.Parquet.Thrift;

namespace EdgeHub.Parquet.Format;

/// <summary>Thrift compact encoding of <see cref="FileMetaData"/> (field ids from parquet.thrift).</summary>
internal static class FileMetaDataCodec
{
    public static void Write(ThriftCompactWriter w, FileMetaData m)
    {
        w.StructBegin();
        w.I32(1, m.Version);
        w.ListField(2, CompactType.Struct, m.Schema.Count);
        foreach (var e in m.Schema) WriteSchemaElement(w, e);
        w.I64(3, m.NumRows);
        w.ListField(4, CompactType.Struct, m.RowGroups.Count);
        for (var i = 0; i < m.RowGroups.Count; i++) WriteRowGroup(w, m.RowGroups[i], i);
        if (m.KeyValues.Count > 0)
        {
            w.ListField(5, CompactType.Struct, m.KeyValues.Count);
            foreach (var kv in m.KeyValues)
            {
                w.StructBegin();
                w.String(1, kv.Key);
                if (kv.Value is not null) w.String(2, kv.Value);
                w.StructEnd();
            }
        }
        if (m.CreatedBy is not null) w.String(6, m.CreatedBy);
        // column_orders: one TypeDefinedOrder per leaf column, so readers trust min_value/max_value.
        if (m.ColumnOrders > 0) w.ListField(7, CompactType.Struct, m.ColumnOrders);
        for (var i = 0; i < m.ColumnOrders; i++)
        {
            w.StructBegin();
            w.StructField(1);
            w.StructEnd();
            w.StructEnd();
        }
        w.StructEnd();
    }

    private static void WriteSchemaElement(ThriftCompactWriter w, SchemaElement e)
    {
        w.StructBegin();
        if (e.Type is { } t) w.I32(1, (int)t);
        if (e.Repetition is { } r) w.I32(3, (int)r);
        w.String(4, e.Name);
        if (e.NumChildren > 0) w.I32(5, e.NumChildren);
        if (e.ConvertedType is { } ct) w.I32(6, ct);
        if (e.LogicalString)
        {
            w.StructField(10);
            w.StructField(1);
            w.StructEnd();
            w.StructEnd();
        }
        else if (e.TimestampUnit != TimeUnit.None)
        {
            w.StructField(10);
            w.StructField(8);
            w.Bool(1, e.TimestampUtc);
            w.StructField(2);
            w.StructField((short)e.TimestampUnit);
            w.StructEnd();
            w.StructEnd();
            w.StructEnd();
            w.StructEnd();
        }
        w.StructEnd();
    }

    private static void WriteRowGroup(ThriftCompactWriter w, RowGroupData g, int ordinal)
    {
        w.StructBegin();
        w.ListField(1, CompactType.Struct, g.Columns.Count);
        foreach (var c in g.Columns)
        {
            w.StructBegin();
            w.I64(2, c.DictionaryPageOffset ?? c.DataPageOffset);
            w.StructField(3);
            w.I32(1, (int)c.Type);
            w.ListField(2, CompactType.I32, c.Encodings.Count);
            foreach (var e in c.Encodings) w.RawI32((int)e);
            w.ListField(3, CompactType.Binary, c.Path.Count);
            foreach (var p in c.Path) w.RawString(p);
            w.I32(4, (int)c.Codec);
            w.I64(5, c.NumValues);
            w.I64(6, c.TotalUncompressedSize);
            w.I64(7, c.TotalCompressedSize);
            w.I64(9, c.DataPageOffset);
            if (c.DictionaryPageOffset is { } d) w.I64(11, d);
            c.Statistics?.Write(w, 12);
            w.StructEnd();
            w.StructEnd();
        }
        w.I64(2, g.TotalByteSize);
        w.I64(3, g.NumRows);
        if (g.FileOffset is { } fo) w.I64(5, fo);
        if (g.TotalCompressedSize is { } tc) w.I64(6, tc);
        w.FieldHeader(7, CompactType.I16);
        w.RawI32(ordinal);
        w.StructEnd();
    }
}
