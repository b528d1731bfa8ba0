using EdgeHub.Parquet.Thrift;

namespace EdgeHub.Parquet.Format;

/// <summary>parquet.thrift <c>SchemaElement</c> (the fields a flat schema uses).</summary>
internal sealed class SchemaElement
{
    public PhysicalType? Type;
    public Repetition? Repetition;
    public string Name = "";
    public int NumChildren;
    public int? ConvertedType;
    public bool LogicalString;
    public TimeUnit TimestampUnit;
    public bool TimestampUtc;
    public bool HasOtherLogicalType;
}

/// <summary>parquet.thrift <c>ColumnMetaData</c>.</summary>
internal sealed class ColumnMetaData
{
    public PhysicalType Type;
    public List<PageEncoding> Encodings = [];
    public List<string> Path = [];
    public Codec Codec;
    public long NumValues;
    public long TotalUncompressedSize;
    public long TotalCompressedSize;
    public long DataPageOffset;
    public long? DictionaryPageOffset;
    public StatisticsData? Statistics;
}

/// <summary>parquet.thrift <c>RowGroup</c> (columns are the ColumnChunk.meta_data entries).</summary>
internal sealed class RowGroupData
{
    public List<ColumnMetaData> Columns = [];
    public long TotalByteSize;
    public long NumRows;
    public long? FileOffset;
    public long? TotalCompressedSize;
}

/// <summary>parquet.thrift <c>FileMetaData</c>: serialisation in <see cref="FileMetaDataCodec"/>.</summary>
internal sealed class FileMetaData
{
    public int Version = 1;
    public List<SchemaElement> Schema = [];
    public long NumRows;
    public List<RowGroupData> RowGroups = [];
    public List<KeyValuePair<string, string?>> KeyValues = [];
    public string? CreatedBy;
    public int ColumnOrders;
}
