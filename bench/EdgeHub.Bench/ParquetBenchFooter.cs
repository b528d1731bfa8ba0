using EdgeHub.Parquet;

namespace EdgeHub.Bench;

/// <summary>
/// What a file's footer says about how it was encoded: the columns stored with dictionaries and the page bytes that went
/// into the codec. Printed for our file and DuckDB's side by side, since compressing more page bytes costs write time.
/// </summary>
internal sealed record ParquetBenchFooter(int Columns, int DictionaryColumns, long PageBytes)
{
    public static ParquetBenchFooter Of(string path)
    {
        using var reader = ParquetReader.Open(path);
        var dictionary = 0;
        long pageBytes = 0;
        foreach (var field in reader.Schema.Fields)
        {
            var everyGroup = reader.RowGroupCount > 0;
            for (var g = 0; g < reader.RowGroupCount; g++)
            {
                var chunk = reader.GetColumnChunk(g, field.Name);
                pageBytes += chunk.UncompressedSize;
                everyGroup &= chunk.DictionaryEncoded;
            }
            if (everyGroup) dictionary++;
        }
        return new ParquetBenchFooter(reader.Schema.Fields.Count, dictionary, pageBytes);
    }

    public override string ToString() => $"{DictionaryColumns,2}/{Columns} columns dictionary-encoded, {PageBytes / 1e6,8:F1} MB of pages before compression";
}
