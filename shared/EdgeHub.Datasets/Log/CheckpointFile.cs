using EdgeHub.Parquet;

namespace EdgeHub.Datasets.Log;

/// <summary>
/// Delta Lake classic checkpoints (PROTOCOL.md "Checkpoints"): one Parquet file holding the table state at a version, one row
/// per action (protocol, metaData, txn, add, remove tombstones) with the spec's nested struct columns. Maps and lists we
/// never fill (partitionValues, format.options, configuration, partitionColumns) are written as empty.
/// </summary>
internal static class CheckpointFile
{
    private static ParquetNode Map(string name) => ParquetNode.Group(name, ParquetRepetition.Optional, ParquetGroupKind.Map,
        ParquetNode.Group("key_value", ParquetRepetition.Repeated, ParquetGroupKind.Struct,
            ParquetNode.Leaf("key", ParquetType.String, ParquetRepetition.Required),
            ParquetNode.Leaf("value", ParquetType.String)));

    private static ParquetNode List(string name) => ParquetNode.Group(name, ParquetRepetition.Optional, ParquetGroupKind.List,
        ParquetNode.Group("list", ParquetRepetition.Repeated, ParquetGroupKind.Struct, ParquetNode.Leaf("element", ParquetType.String)));

    private static readonly ParquetNode[] Schema =
    [
        ParquetNode.Group("txn", ParquetRepetition.Optional, ParquetGroupKind.Struct,
            ParquetNode.Leaf("appId", ParquetType.String), ParquetNode.Leaf("version", ParquetType.Int64), ParquetNode.Leaf("lastUpdated", ParquetType.Int64)),
        ParquetNode.Group("add", ParquetRepetition.Optional, ParquetGroupKind.Struct,
            ParquetNode.Leaf("path", ParquetType.String), Map("partitionValues"), ParquetNode.Leaf("size", ParquetType.Int64),
            ParquetNode.Leaf("modificationTime", ParquetType.Int64), ParquetNode.Leaf("dataChange", ParquetType.Boolean),
            ParquetNode.Leaf("stats", ParquetType.String)),
        ParquetNode.Group("remove", ParquetRepetition.Optional, ParquetGroupKind.Struct,
            ParquetNode.Leaf("path", ParquetType.String), ParquetNode.Leaf("deletionTimestamp", ParquetType.Int64), ParquetNode.Leaf("dataChange", ParquetType.Boolean)),
        ParquetNode.Group("metaData", ParquetRepetition.Optional, ParquetGroupKind.Struct,
            ParquetNode.Leaf("id", ParquetType.String), ParquetNode.Leaf("name", ParquetType.String), ParquetNode.Leaf("description", ParquetType.String),
            ParquetNode.Group("format", ParquetRepetition.Optional, ParquetGroupKind.Struct, ParquetNode.Leaf("provider", ParquetType.String), Map("options")),
            ParquetNode.Leaf("schemaString", ParquetType.String), List("partitionColumns"), Map("configuration"),
            ParquetNode.Leaf("createdTime", ParquetType.Int64)),
        ParquetNode.Group("protocol", ParquetRepetition.Optional, ParquetGroupKind.Struct,
            ParquetNode.Leaf("minReaderVersion", ParquetType.Int32), ParquetNode.Leaf("minWriterVersion", ParquetType.Int32)),
    ];

    /// <summary>Marker for an empty map or list value.</summary>
    private static readonly object Empty = new();

    /// <summary>Writes the state as a checkpoint Parquet file.</summary>
    public static void Write(Stream output, TableState s)
    {
        var rows = new List<Dictionary<string, object?>>
        {
            Row("protocol", new() { ["minReaderVersion"] = s.MinReader, ["minWriterVersion"] = s.MinWriter }),
            Row("metaData", new()
            {
                ["id"] = s.MetaDataId, ["name"] = null, ["description"] = null,
                ["format"] = new Dictionary<string, object?> { ["provider"] = "parquet", ["options"] = Empty },
                ["schemaString"] = s.SchemaString, ["partitionColumns"] = Empty, ["configuration"] = Empty, ["createdTime"] = s.CreatedTime,
            }),
        };
        foreach (var (app, version) in s.Txns)
            rows.Add(Row("txn", new() { ["appId"] = app, ["version"] = version, ["lastUpdated"] = s.TxnUpdated.GetValueOrDefault(app) }));
        foreach (var f in s.Files.Values)
        {
            var a = s.AddActions[f.Path];
            rows.Add(Row("add", new()
            {
                ["path"] = a.Path, ["partitionValues"] = Empty, ["size"] = a.Size, ["modificationTime"] = a.ModificationTime,
                ["dataChange"] = false, ["stats"] = a.Stats,
            }));
        }
        foreach (var (path, deletion) in s.Tombstones)
            rows.Add(Row("remove", new() { ["path"] = path, ["deletionTimestamp"] = deletion, ["dataChange"] = false }));

        using var writer = new ParquetNestedWriter(output, Schema, ParquetCompression.Snappy);
        var leaves = new LeafBuilder[writer.Leaves.Count];
        for (var i = 0; i < leaves.Length; i++) leaves[i] = new LeafBuilder(writer.Leaves[i].Type, rows.Count);
        foreach (var row in rows)
        {
            var leaf = 0;
            foreach (var node in Schema) Emit(node, row.GetValueOrDefault(node.Name), 0, leaves, ref leaf);
        }
        var data = new ParquetLeafData[leaves.Length];
        for (var i = 0; i < leaves.Length; i++) data[i] = leaves[i].Build();
        writer.WriteRowGroup(rows.Count, data);
    }

    private static Dictionary<string, object?> Row(string action, Dictionary<string, object?> value) => new() { [action] = value };

    /// <summary>Dremel levels for a record without non-empty repeated values (so every repetition level is 0).</summary>
    private static void Emit(ParquetNode node, object? value, int parentDef, LeafBuilder[] leaves, ref int leaf)
    {
        var ownDef = parentDef + (node.Repetition == ParquetRepetition.Required ? 0 : 1);
        if (node.Type is not null)
        {
            if (value is null) leaves[leaf++].Add(parentDef, null);
            else leaves[leaf++].Add(ownDef, value);
            return;
        }
        if (node.Kind != ParquetGroupKind.Struct)
        {
            // Null collection: parent's level; empty collection: the collection's own level.
            var level = value is null ? parentDef : ownDef;
            for (var n = CountLeaves(node); n > 0; n--) leaves[leaf++].Add(level, null);
            return;
        }
        if (value is not Dictionary<string, object?> fields)
        {
            for (var n = CountLeaves(node); n > 0; n--) leaves[leaf++].Add(parentDef, null);
            return;
        }
        foreach (var child in node.Children) Emit(child, fields.GetValueOrDefault(child.Name), ownDef, leaves, ref leaf);
    }

    private static int CountLeaves(ParquetNode node)
    {
        if (node.Type is not null) return 1;
        var n = 0;
        foreach (var c in node.Children) n += CountLeaves(c);
        return n;
    }

    private sealed class LeafBuilder(ParquetType type, int capacity)
    {
        private readonly List<int> _defs = new(capacity);
        private readonly List<object> _values = new(capacity);

        public void Add(int def, object? value)
        {
            _defs.Add(def);
            if (value is not null) _values.Add(value);
        }

        public ParquetLeafData Build()
        {
            Array values = type switch
            {
                ParquetType.String => _values.ConvertAll(v => (string?)v).ToArray(),
                ParquetType.Int64 => _values.ConvertAll(v => Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
                ParquetType.Int32 => _values.ConvertAll(v => Convert.ToInt32(v, System.Globalization.CultureInfo.InvariantCulture)).ToArray(),
                ParquetType.Boolean => _values.ConvertAll(v => (bool)v).ToArray(),
                _ => throw new InvalidOperationException($"checkpoint leaf type {type} not expected"),
            };
            return new ParquetLeafData([.. _defs], new int[_defs.Count], _defs.Count, values, values.Length);
        }
    }

    private static readonly string[] ReadColumns =
    [
        "protocol.minReaderVersion", "protocol.minWriterVersion", "metaData.id", "metaData.schemaString", "metaData.createdTime",
        "txn.appId", "txn.version", "txn.lastUpdated", "add.path", "add.size", "add.modificationTime", "add.stats",
        "remove.path", "remove.deletionTimestamp",
    ];

    /// <summary>Reads a checkpoint (ours or any spec-conforming writer's) into a state at <paramref name="version"/>.</summary>
    public static TableState Read(string path, long version, long timestamp)
    {
        using var reader = ParquetReader.Open(path);
        var b = reader.ReadAll(ReadColumns);
        var s = new TableState { Version = version, Timestamp = timestamp, CheckpointVersion = version };
        string? Str(int c, int r) => b.IsNull(c, r) ? null : b.String(c)[r];
        for (var r = 0; r < b.RowCount; r++)
        {
            if (!b.IsNull(0, r))
            {
                s.MinReader = b.Int32(0)[r];
                s.MinWriter = b.IsNull(1, r) ? 2 : b.Int32(1)[r];
            }
            if (Str(3, r) is { } schema)
            {
                s.SchemaString = schema;
                s.Schema = SparkSchema.FromJson(schema);
                s.MetaDataId = Str(2, r);
                s.CreatedTime = b.IsNull(4, r) ? 0 : b.Int64(4)[r];
            }
            if (Str(5, r) is { } app)
            {
                s.Txns[app] = b.Int64(6)[r];
                s.TxnUpdated[app] = b.IsNull(7, r) ? 0 : b.Int64(7)[r];
            }
            if (Str(8, r) is { } file)
            {
                var stats = Str(11, r);
                var add = new AddAction(Uri.UnescapeDataString(file), b.Int64(9)[r], b.Int64(10)[r], stats, CommitActions.RowsOf(stats));
                s.AddActions[add.Path] = add;
                s.Files[add.Path] = new DeltaFile(add.Path, add.Size, add.Rows, -1);
            }
            if (Str(12, r) is { } removed) s.Tombstones[Uri.UnescapeDataString(removed)] = b.IsNull(13, r) ? 0 : b.Int64(13)[r];
        }
        if (s.Schema is null) throw new DatasetException($"checkpoint {path} has no metaData row");
        return s;
    }
}
