using EdgeHub.Parquet;

namespace EdgeHub.Parquet.Tests;

/// <summary>Deterministic batches covering every type, nulls, NaN, empty and non-ASCII strings.</summary>
internal static class TestData
{
    public static readonly ParquetSchema AllTypes = new([
        new ParquetField("id", ParquetType.Int64),
        new ParquetField("ts", ParquetType.TimestampMicros),
        new ParquetField("i32", ParquetType.Int32),
        new ParquetField("f32", ParquetType.Float),
        new ParquetField("f64", ParquetType.Double),
        new ParquetField("flag", ParquetType.Boolean),
        new ParquetField("name", ParquetType.String),
        new ParquetField("opt_i32", ParquetType.Int32, true),
        new ParquetField("opt_f32", ParquetType.Float, true),
        new ParquetField("opt_f64", ParquetType.Double, true),
        new ParquetField("opt_i64", ParquetType.Int64, true),
        new ParquetField("opt_flag", ParquetType.Boolean, true),
        new ParquetField("opt_name", ParquetType.String, true),
        new ParquetField("opt_ts", ParquetType.TimestampMicros, true),
    ]);

    private static readonly string[] Words = ["", "alpha", "Grüße", "日本語", "emoji 🫀", "a\"quote", "x", "ünïcödé"];

    public static ColumnBatch Make(int rows, int seed, ParquetSchema? schema = null)
    {
        schema ??= AllTypes;
        var rnd = new Random(seed);
        var b = new ColumnBatch(schema, rows) { RowCount = rows };
        for (var c = 0; c < schema.Fields.Count; c++)
        {
            var f = schema.Fields[c];
            for (var r = 0; r < rows; r++)
            {
                switch (f.Type)
                {
                    case ParquetType.Int64: b.Int64(c)[r] = r % 7 == 0 ? long.MinValue + r : rnd.NextInt64(); break;
                    case ParquetType.TimestampMicros: b.Int64(c)[r] = 1_700_000_000_000_000L + r * 1000L; break;
                    case ParquetType.Int32: b.Int32(c)[r] = rnd.Next(int.MinValue, int.MaxValue); break;
                    case ParquetType.Float: b.Float(c)[r] = r % 11 == 5 ? float.NaN : (float)(rnd.NextDouble() * 200 - 100); break;
                    case ParquetType.Double: b.Double(c)[r] = r % 13 == 3 ? double.NaN : rnd.NextDouble() * 1e6 - 5e5; break;
                    case ParquetType.Boolean: b.Boolean(c)[r] = rnd.Next(2) == 1; break;
                    case ParquetType.String: b.String(c)[r] = Words[rnd.Next(Words.Length)] + (r % 3 == 0 ? r.ToString(System.Globalization.CultureInfo.InvariantCulture) : ""); break;
                }
                if (f.Nullable) b.Valid(c)[r] = rnd.Next(4) != 0;
                if (f.Nullable && f.Type == ParquetType.String && !b.Valid(c)[r]) b.String(c)[r] = null;
            }
        }
        return b;
    }

    public static byte[] Write(ParquetWriterOptions options, params ColumnBatch[] batches)
    {
        using var ms = new MemoryStream();
        using (var w = new ParquetWriter(ms, batches[0].Schema, options))
            foreach (var b in batches) w.Write(b);
        return ms.ToArray();
    }

    /// <summary>Asserts two batches hold the same values (NaN equals NaN, nulls match).</summary>
    public static void AssertSame(ColumnBatch expected, int expectedOffset, ColumnBatch actual, int actualOffset, int rows)
    {
        for (var c = 0; c < expected.Schema.Fields.Count; c++)
        {
            var name = expected.Schema.Fields[c].Name;
            var ac = actual.Schema.GetIndex(name);
            for (var r = 0; r < rows; r++)
            {
                var e = expected.GetValue(c, expectedOffset + r);
                var a = actual.GetValue(ac, actualOffset + r);
                if (!Equals(e, a)) Assert.Fail($"column {name} row {r}: expected {e ?? "null"}, got {a ?? "null"}");
            }
        }
    }
}
