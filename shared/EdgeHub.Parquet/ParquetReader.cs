using System.Buffers.Binary;
using EdgeHub.Parquet.Format;
using EdgeHub.Parquet.Reading;

namespace EdgeHub.Parquet;

/// <summary>
/// Reads flat Parquet files (ours, DuckDB's, pyarrow's): v1 and v2 data pages, PLAIN and dictionary encodings, the four
/// codecs. Columns can be projected; row groups can be skipped by their statistics (<see cref="RowGroupMayContain"/>).
/// Corrupt or hostile input raises <see cref="ParquetFormatException"/> with what was wrong.
/// </summary>
public sealed partial class ParquetReader : IDisposable
{
    /// <summary>Row groups declaring more rows than this are rejected (the batch would be allocated from the declared size).</summary>
    public const int MaxRowGroupRows = 1 << 27;
    private readonly FileSource _source;
    private readonly FileMetaData _meta;
    private readonly ColumnDescriptor[] _columns;
    private readonly long _dataEnd;
    private readonly int _leafCount;
    private readonly ColumnChunkReader _chunkReader = new();

    /// <summary>Opens a file from a readable, seekable stream (disposed with the reader unless <paramref name="leaveOpen"/>).</summary>
    public ParquetReader(Stream input, bool leaveOpen = false) : this(new StreamSource(input ?? throw new ArgumentNullException(nameof(input)), leaveOpen)) { }

    /// <summary>Opens a file held in memory.</summary>
    public ParquetReader(ReadOnlyMemory<byte> file) : this(new MemorySource(file)) { }

    private ParquetReader(FileSource source)
    {
        _source = source;
        try
        {
            var length = source.Length;
            if (length < 12) throw new ParquetFormatException($"file is {length} bytes; a Parquet file has at least 12 (PAR1, footer length, PAR1)");
            var scratch = Array.Empty<byte>();
            var head = source.Read(0, 4, ref scratch).ToArray();
            var tail = source.Read(length - 8, 8, ref scratch).ToArray();
            if (tail.AsSpan(4).SequenceEqual("PARE"u8)) throw new ParquetFormatException("file has an encrypted footer (PARE); encrypted Parquet is not supported");
            if (!head.AsSpan().SequenceEqual(ParquetWriter.Magic) || !tail.AsSpan(4).SequenceEqual(ParquetWriter.Magic))
                throw new ParquetFormatException("not a Parquet file: missing PAR1 magic at the start or end");
            var footerLength = BinaryPrimitives.ReadInt32LittleEndian(tail);
            if (footerLength <= 0 || footerLength > length - 12)
                throw new ParquetFormatException($"footer length {footerLength} does not fit in a {length}-byte file (truncated or corrupt)");
            _dataEnd = length - 8 - footerLength;
            _meta = FileMetaDataReader.Read(source.Read(_dataEnd, footerLength, ref scratch));
            (_columns, _leafCount) = SchemaMapper.Map(_meta.Schema);
            var fields = new ParquetField[_columns.Length];
            for (var i = 0; i < fields.Length; i++) fields[i] = _columns[i].Field;
            try { Schema = new ParquetSchema(fields); }
            catch (ArgumentException e) { throw new ParquetFormatException($"unusable schema: {e.Message}", e); }
            ValidateRowGroups();
            var md = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var kv in _meta.KeyValues) md[kv.Key] = kv.Value ?? "";
            Metadata = md;
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <summary>Opens a file by path.</summary>
    public static ParquetReader Open(string path) =>
        new(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess));

    /// <summary>The file's columns.</summary>
    public ParquetSchema Schema { get; }

    /// <summary>Total rows.</summary>
    public long RowCount => _meta.NumRows;

    /// <summary>Number of row groups.</summary>
    public int RowGroupCount => _meta.RowGroups.Count;

    /// <summary>Key/value metadata from the footer.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>created_by from the footer, if any.</summary>
    public string? CreatedBy => _meta.CreatedBy;

    /// <summary>Rows in one row group.</summary>
    public long RowGroupRowCount(int index) => Group(index).NumRows;

    private void ValidateRowGroups()
    {
        long total = 0;
        for (var g = 0; g < _meta.RowGroups.Count; g++)
        {
            var rg = _meta.RowGroups[g];
            if (rg.Columns.Count != _leafCount)
                throw new ParquetFormatException($"row group {g} has {rg.Columns.Count} column chunks, the schema {_leafCount} leaf columns");
            if (rg.NumRows > MaxRowGroupRows)
                throw new ParquetFormatException($"row group {g} declares {rg.NumRows} rows, more than the supported {MaxRowGroupRows}");
            total += rg.NumRows;
        }
        if (total != _meta.NumRows)
            throw new ParquetFormatException($"row groups hold {total} rows but the footer says num_rows = {_meta.NumRows}");
    }

    private RowGroupData Group(int index)
    {
        if ((uint)index >= (uint)_meta.RowGroups.Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"the file has {_meta.RowGroups.Count} row groups");
        return _meta.RowGroups[index];
    }

    /// <summary>Reads one row group; <paramref name="columns"/> projects (null = all columns, in file order).</summary>
    public ColumnBatch ReadRowGroup(int index, IReadOnlyList<string>? columns = null)
    {
        var rg = Group(index);
        var (schema, map) = Projection(columns);
        var batch = new ColumnBatch(schema, (int)rg.NumRows) { RowCount = (int)rg.NumRows };
        for (var c = 0; c < map.Length; c++)
        {
            var src = map[c];
            _chunkReader.Read(_source, _dataEnd, rg.Columns[_columns[src].ChunkIndex], _columns[src], (int)rg.NumRows,
                batch.RawValues(c), batch.RawValid(c), $"row group {index}, column '{_columns[src].Field.Name}'");
        }
        return batch;
    }

    /// <summary>Reads every row group into one batch.</summary>
    public ColumnBatch ReadAll(IReadOnlyList<string>? columns = null)
    {
        var groups = new List<int>(RowGroupCount);
        for (var g = 0; g < RowGroupCount; g++) groups.Add(g);
        return ReadRowGroups(groups, columns);
    }

    /// <summary>Reads the given row groups, concatenated in the order given.</summary>
    public ColumnBatch ReadRowGroups(IReadOnlyList<int> groups, IReadOnlyList<string>? columns = null)
    {
        ArgumentNullException.ThrowIfNull(groups);
        long total = 0;
        foreach (var g in groups) total += Group(g).NumRows;
        if (total > int.MaxValue) throw new InvalidOperationException($"{total} rows do not fit one batch; read row group by row group");
        var (schema, map) = Projection(columns);
        var batch = new ColumnBatch(schema, (int)total) { RowCount = (int)total };
        var offset = 0;
        foreach (var g in groups)
        {
            var part = ReadRowGroup(g, columns);
            for (var c = 0; c < map.Length; c++)
            {
                Array.Copy(part.RawValues(c), 0, batch.RawValues(c), offset, part.RowCount);
                if (part.RawValid(c) is { } v) Array.Copy(v, 0, batch.RawValid(c)!, offset, part.RowCount);
            }
            offset += part.RowCount;
        }
        return batch;
    }

    private (ParquetSchema Schema, int[] Map) Projection(IReadOnlyList<string>? columns)
    {
        if (columns is null)
        {
            var all = new int[_columns.Length];
            for (var i = 0; i < all.Length; i++) all[i] = i;
            return (Schema, all);
        }
        var projected = Schema.Project(columns);
        var map = new int[columns.Count];
        for (var i = 0; i < map.Length; i++) map[i] = Schema.GetIndex(columns[i]);
        return (projected, map);
    }

    /// <summary>Releases the file.</summary>
    public void Dispose()
    {
        _chunkReader.Dispose();
        _source.Dispose();
    }
}
