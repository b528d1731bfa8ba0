using EdgeHub.Parquet.Encoding;
using EdgeHub.Parquet.Format;
using EdgeHub.Parquet.Thrift;
using EdgeHub.Parquet.Writing;

namespace EdgeHub.Parquet;

/// <summary>
/// Writes a flat Parquet file: <c>PAR1</c>, row groups of column chunks, the Thrift compact <c>FileMetaData</c> footer, its
/// length and <c>PAR1</c>. Rows arrive as <see cref="ColumnBatch"/>es and are encoded into pages as they come; a row group is
/// written out when it reaches <see cref="ParquetWriterOptions.RowGroupSize"/> rows. <see cref="Dispose"/> writes the footer.
/// The output stream need not be seekable; offsets are counted from where the stream was when the writer was created.
/// </summary>
public sealed class ParquetWriter : IDisposable
{
    internal static ReadOnlySpan<byte> Magic => "PAR1"u8;
    private readonly Stream _output;
    private readonly ParquetSchema _schema;
    private readonly ParquetWriterOptions _options;
    private readonly ColumnChunkWriter[] _columns;
    private readonly FileMetaData _meta = new();
    private long _position;
    private int _rowsInGroup;
    private bool _disposed;

    /// <summary>Starts a file on <paramref name="output"/> (left open on dispose).</summary>
    public ParquetWriter(Stream output, ParquetSchema schema, ParquetWriterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(schema);
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("EdgeHub.Parquet needs a little-endian machine");
        _output = output;
        _schema = schema;
        _options = options ?? new ParquetWriterOptions();
        _options.Validate();
        _columns = new ColumnChunkWriter[schema.Fields.Count];
        for (var c = 0; c < _columns.Length; c++) _columns[c] = new ColumnChunkWriter(schema.Fields[c], _options);
        _output.Write(Magic);
        _position = 4;
    }

    /// <summary>The file's schema.</summary>
    public ParquetSchema Schema => _schema;

    /// <summary>Rows written so far (including the row group still buffered).</summary>
    public long RowCount { get; private set; }

    /// <summary>Appends the batch's rows; its schema must equal the writer's.</summary>
    public void Write(ColumnBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!ReferenceEquals(batch.Schema, _schema) && !batch.Schema.SameAs(_schema))
            throw new ArgumentException($"batch schema ({batch.Schema}) differs from the writer's ({_schema})", nameof(batch));
        var offset = 0;
        while (offset < batch.RowCount)
        {
            var take = Math.Min(batch.RowCount - offset, _options.RowGroupSize - _rowsInGroup);
            for (var c = 0; c < _columns.Length; c++) _columns[c].Append(batch, c, offset, take);
            _rowsInGroup += take;
            RowCount += take;
            offset += take;
            if (_rowsInGroup == _options.RowGroupSize) FlushRowGroup();
        }
    }

    /// <summary>Writes the buffered rows as a row group now (no-op when none are buffered).</summary>
    public void FlushRowGroup()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_rowsInGroup == 0) return;
        var group = new RowGroupData { NumRows = _rowsInGroup, FileOffset = _position };
        var start = _position;
        foreach (var col in _columns)
        {
            var meta = col.Flush(_output, _position);
            _position += meta.TotalCompressedSize;
            group.TotalByteSize += meta.TotalUncompressedSize;
            group.Columns.Add(meta);
        }
        group.TotalCompressedSize = _position - start;
        _meta.RowGroups.Add(group);
        _rowsInGroup = 0;
    }

    /// <summary>Flushes the last row group and writes the footer. The stream stays open.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        try
        {
            FlushRowGroup();
            WriteFooter();
            _output.Flush();
        }
        finally
        {
            _disposed = true;
            foreach (var col in _columns) col.Dispose();
        }
    }

    private void WriteFooter()
    {
        _meta.NumRows = RowCount;
        _meta.CreatedBy = _options.CreatedBy;
        _meta.ColumnOrders = _schema.Fields.Count;
        _meta.Schema.Add(new SchemaElement { Name = "schema", NumChildren = _schema.Fields.Count });
        foreach (var f in _schema.Fields) _meta.Schema.Add(SchemaElementOf(f));
        foreach (var kv in _options.Metadata) _meta.KeyValues.Add(new(kv.Key, kv.Value));
        using var buffer = new ByteBuffer(4096);
        FileMetaDataCodec.Write(new ThriftCompactWriter(buffer), _meta);
        var len = buffer.Length;
        buffer.WriteInt32LE(len);
        buffer.Write(Magic);
        _output.Write(buffer.WrittenSpan);
        _position += buffer.Length;
    }

    private static SchemaElement SchemaElementOf(ParquetField f)
    {
        var e = new SchemaElement
        {
            Name = f.Name,
            Type = ColumnChunkWriter.PhysicalTypeOf(f.Type),
            Repetition = f.Nullable ? Repetition.Optional : Repetition.Required,
        };
        if (f.Type == ParquetType.String)
        {
            e.ConvertedType = Format.ConvertedType.Utf8;
            e.LogicalString = true;
        }
        else if (f.Type == ParquetType.TimestampMicros)
        {
            e.ConvertedType = Format.ConvertedType.TimestampMicros;
            e.TimestampUnit = TimeUnit.Micros;
            e.TimestampUtc = true;
        }
        return e;
    }
}
