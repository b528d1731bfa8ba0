using System.Buffers.Binary;
using EdgeHub.Parquet.Encoding;
using EdgeHub.Parquet.Format;
using EdgeHub.Parquet.Thrift;

namespace EdgeHub.Parquet;

/// <summary>Repetition of a node in a nested schema.</summary>
public enum ParquetRepetition
{
    /// <summary>Exactly one value.</summary>
    Required,
    /// <summary>Zero or one value.</summary>
    Optional,
    /// <summary>Zero or more values.</summary>
    Repeated,
}

/// <summary>What a group node annotates (parquet-format LogicalTypes.md: MAP and LIST three-level structures).</summary>
public enum ParquetGroupKind
{
    /// <summary>A plain struct.</summary>
    Struct,
    /// <summary>A MAP (its single child is the repeated key_value group).</summary>
    Map,
    /// <summary>A LIST (its single child is the repeated list group).</summary>
    List,
}

/// <summary>A node of a nested schema: a leaf with a value type or a group with children.</summary>
public sealed class ParquetNode
{
    private ParquetNode(string name, ParquetRepetition repetition, ParquetType? type, ParquetGroupKind kind, IReadOnlyList<ParquetNode> children)
    {
        Name = name;
        Repetition = repetition;
        Type = type;
        Kind = kind;
        Children = children;
    }

    /// <summary>Node name.</summary>
    public string Name { get; }

    /// <summary>Repetition.</summary>
    public ParquetRepetition Repetition { get; }

    /// <summary>Leaf value type (null for groups).</summary>
    public ParquetType? Type { get; }

    /// <summary>Group annotation.</summary>
    public ParquetGroupKind Kind { get; }

    /// <summary>Children of a group (empty for leaves).</summary>
    public IReadOnlyList<ParquetNode> Children { get; }

    /// <summary>A leaf column.</summary>
    public static ParquetNode Leaf(string name, ParquetType type, ParquetRepetition repetition = ParquetRepetition.Optional) =>
        new(name, repetition, type, ParquetGroupKind.Struct, []);

    /// <summary>A group.</summary>
    public static ParquetNode Group(string name, ParquetRepetition repetition, ParquetGroupKind kind, params ParquetNode[] children)
    {
        if (children is null || children.Length == 0) throw new ArgumentException($"group '{name}' needs children", nameof(children));
        return new(name, repetition, null, kind, children);
    }
}

/// <summary>Dremel-encoded data of one leaf column for <see cref="ParquetNestedWriter"/>.</summary>
/// <param name="DefinitionLevels">One definition level per level entry.</param>
/// <param name="RepetitionLevels">One repetition level per level entry (ignored when the leaf's max repetition level is 0).</param>
/// <param name="LevelCount">Entries used in the level arrays.</param>
/// <param name="Values">The non-null values, a typed array (long[], int[], float[], double[], bool[], string[]).</param>
/// <param name="ValueCount">Values used.</param>
public sealed record ParquetLeafData(int[] DefinitionLevels, int[] RepetitionLevels, int LevelCount, Array Values, int ValueCount);

/// <summary>
/// A small writer for nested schemas (structs, MAP, LIST), given pre-computed definition and repetition levels per leaf.
/// One PLAIN data page (v1) per leaf and row group. Used for Delta Lake checkpoints; flat data should use <see cref="ParquetWriter"/>.
/// </summary>
public sealed class ParquetNestedWriter : IDisposable
{
    private readonly Stream _output;
    private readonly ParquetCompression _compression;
    private readonly FileMetaData _meta = new();
    private readonly List<(string[] Path, ParquetType Type, int MaxDef, int MaxRep)> _leaves = [];
    private long _position;
    private bool _disposed;

    /// <summary>Starts a file with the given top-level nodes.</summary>
    public ParquetNestedWriter(Stream output, IReadOnlyList<ParquetNode> columns, ParquetCompression compression = ParquetCompression.None)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(columns);
        _output = output;
        _compression = compression;
        _meta.Schema.Add(new SchemaElement { Name = "schema", NumChildren = columns.Count });
        foreach (var c in columns) AddNode(c, [], 0, 0);
        _output.Write(ParquetWriter.Magic);
        _position = 4;
    }

    /// <summary>Leaves in file order with their maximum definition and repetition levels.</summary>
    public IReadOnlyList<(string[] Path, ParquetType Type, int MaxDef, int MaxRep)> Leaves => _leaves;

    private void AddNode(ParquetNode node, string[] parent, int def, int rep)
    {
        var path = new string[parent.Length + 1];
        parent.CopyTo(path, 0);
        path[^1] = node.Name;
        if (node.Repetition != ParquetRepetition.Required) def++;
        if (node.Repetition == ParquetRepetition.Repeated) rep++;
        var e = new SchemaElement { Name = node.Name, Repetition = (Repetition)(int)node.Repetition };
        if (node.Type is { } t)
        {
            e.Type = Writing.ColumnChunkWriter.PhysicalTypeOf(t);
            if (t == ParquetType.String) { e.ConvertedType = ConvertedType.Utf8; e.LogicalString = true; }
            _meta.Schema.Add(e);
            _leaves.Add((path, t, def, rep));
            return;
        }
        e.NumChildren = node.Children.Count;
        if (node.Kind == ParquetGroupKind.Map) e.ConvertedType = 1; // MAP
        else if (node.Kind == ParquetGroupKind.List) e.ConvertedType = 3; // LIST
        _meta.Schema.Add(e);
        foreach (var c in node.Children) AddNode(c, path, def, rep);
    }

    /// <summary>Writes one row group; <paramref name="leaves"/> holds one entry per leaf, in <see cref="Leaves"/> order.</summary>
    public void WriteRowGroup(long rows, IReadOnlyList<ParquetLeafData> leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (leaves.Count != _leaves.Count) throw new ArgumentException($"expected data for {_leaves.Count} leaves, got {leaves.Count}", nameof(leaves));
        var group = new RowGroupData { NumRows = rows, FileOffset = _position };
        var start = _position;
        using var body = new ByteBuffer();
        using var page = new ByteBuffer();
        using var header = new ByteBuffer(64);
        var codec = PageCodecs.ToCodec(_compression);
        for (var i = 0; i < leaves.Count; i++)
        {
            var (path, type, maxDef, maxRep) = _leaves[i];
            var d = leaves[i];
            body.Clear();
            if (maxRep > 0) Levels(body, d.RepetitionLevels.AsSpan(0, d.LevelCount), maxRep);
            if (maxDef > 0) Levels(body, d.DefinitionLevels.AsSpan(0, d.LevelCount), maxDef);
            Plain(body, d.Values, d.ValueCount, type);
            page.Clear();
            var compressed = PageCodecs.Compress(codec, body.WrittenSpan, page, 1);
            header.Clear();
            new PageHeader { Type = PageType.DataPage, Encoding = PageEncoding.Plain, NumValues = d.LevelCount, UncompressedSize = body.Length, CompressedSize = compressed }
                .Write(new ThriftCompactWriter(header));
            var meta = new ColumnMetaData
            {
                Type = Writing.ColumnChunkWriter.PhysicalTypeOf(type),
                Codec = codec,
                NumValues = d.LevelCount,
                Path = [.. path],
                Encodings = [PageEncoding.Plain, PageEncoding.Rle],
                DataPageOffset = _position,
                TotalCompressedSize = header.Length + compressed,
                TotalUncompressedSize = header.Length + body.Length,
            };
            _output.Write(header.WrittenSpan);
            _output.Write(page.WrittenSpan);
            _position += meta.TotalCompressedSize;
            group.TotalByteSize += meta.TotalUncompressedSize;
            group.Columns.Add(meta);
        }
        group.TotalCompressedSize = _position - start;
        _meta.RowGroups.Add(group);
        _meta.NumRows += rows;
    }

    private static void Levels(ByteBuffer body, ReadOnlySpan<int> levels, int max)
    {
        var lenPos = body.Length;
        body.WriteInt32LE(0);
        RleBitPackedHybrid.Encode(levels, RleBitPackedHybrid.BitWidth(max), body);
        BinaryPrimitives.WriteInt32LittleEndian(body.WrittenSpan[lenPos..], body.Length - lenPos - 4);
    }

    private static void Plain(ByteBuffer body, Array values, int count, ParquetType type)
    {
        switch (values)
        {
            case long[] l: body.WriteValues<long>(l.AsSpan(0, count)); break;
            case int[] i: body.WriteValues<int>(i.AsSpan(0, count)); break;
            case float[] f: body.WriteValues<float>(f.AsSpan(0, count)); break;
            case double[] d: body.WriteValues<double>(d.AsSpan(0, count)); break;
            case bool[] b:
                {
                    var bytes = (count + 7) / 8;
                    var dst = body.GetSpan(bytes)[..bytes];
                    dst.Clear();
                    for (var k = 0; k < count; k++) if (b[k]) dst[k >> 3] |= (byte)(1 << (k & 7));
                    body.Advance(bytes);
                    break;
                }
            case string?[] s:
                for (var k = 0; k < count; k++)
                {
                    var bytes = System.Text.Encoding.UTF8.GetBytes(s[k] ?? throw new ArgumentException("null among the non-null values"));
                    body.WriteInt32LE(bytes.Length);
                    body.Write(bytes);
                }
                break;
            default:
                throw new ArgumentException($"unsupported value array {values.GetType().Name} for {type}");
        }
    }

    /// <summary>Writes the footer (the stream stays open).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _meta.CreatedBy = "EdgeHub.Parquet version 1.0.0 (build edgehub)";
        using var buffer = new ByteBuffer(4096);
        FileMetaDataCodec.Write(new ThriftCompactWriter(buffer), _meta);
        var len = buffer.Length;
        buffer.WriteInt32LE(len);
        buffer.Write(ParquetWriter.Magic);
        _output.Write(buffer.WrittenSpan);
        _output.Flush();
    }
}
