namespace EdgeHub.Parquet;

/// <summary>Page compression codecs this library writes and reads.</summary>
public enum ParquetCompression
{
    /// <summary>UNCOMPRESSED.</summary>
    None,
    /// <summary>SNAPPY (raw Snappy blocks, no framing).</summary>
    Snappy,
    /// <summary>GZIP (RFC 1952), written at the fastest level.</summary>
    Gzip,
    /// <summary>BROTLI (RFC 7932).</summary>
    Brotli,
}

/// <summary>Options for <see cref="ParquetWriter"/>.</summary>
public sealed class ParquetWriterOptions
{
    /// <summary>Page codec; Snappy by default.</summary>
    public ParquetCompression Compression { get; set; } = ParquetCompression.Snappy;

    /// <summary>Rows per row group (the last one may be smaller).</summary>
    public int RowGroupSize { get; set; } = 1_000_000;

    /// <summary>Target uncompressed size of one data page in bytes.</summary>
    public int PageSize { get; set; } = 1 << 20;

    /// <summary>Largest dictionary (PLAIN bytes) a column may build per row group before falling back to PLAIN pages.</summary>
    public int DictionaryPageSizeLimit { get; set; } = 1 << 20;

    /// <summary>
    /// Dictionary-encode string and numeric columns (RLE_DICTIONARY, readable by every Parquet reader); true by default. A
    /// column falls back to PLAIN pages when its dictionary passes <see cref="DictionaryPageSizeLimit"/> or, for numeric
    /// columns, when its first page shows the dictionary would not make the data smaller. Booleans are always PLAIN.
    /// </summary>
    public bool UseDictionary { get; set; } = true;

    /// <summary>
    /// Data page format: 1 (DATA_PAGE, the default, readable everywhere) or 2 (DATA_PAGE_V2: levels stored uncompressed
    /// ahead of the values, with null and row counts in the header).
    /// </summary>
    public int DataPageVersion { get; set; } = 1;

    /// <summary>Brotli quality (0–11) used when <see cref="Compression"/> is Brotli.</summary>
    public int BrotliQuality { get; set; } = 1;

    /// <summary>Key/value metadata written into the footer.</summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>created_by written into the footer.</summary>
    public string CreatedBy { get; set; } = "EdgeHub.Parquet version 1.0.0 (build edgehub)";

    internal void Validate()
    {
        if (RowGroupSize < 1) throw new ArgumentOutOfRangeException(nameof(RowGroupSize), RowGroupSize, "row group size must be at least 1 row");
        if (PageSize < 1024) throw new ArgumentOutOfRangeException(nameof(PageSize), PageSize, "page size must be at least 1024 bytes");
        if (DictionaryPageSizeLimit < 0) throw new ArgumentOutOfRangeException(nameof(DictionaryPageSizeLimit), DictionaryPageSizeLimit, "dictionary size limit must be 0 (no dictionaries) or more bytes");
        if (!Enum.IsDefined(Compression)) throw new ArgumentOutOfRangeException(nameof(Compression), Compression, "unknown codec");
        if (DataPageVersion is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(DataPageVersion), DataPageVersion, "data page version is 1 or 2");
        if (BrotliQuality is < 0 or > 11) throw new ArgumentOutOfRangeException(nameof(BrotliQuality), BrotliQuality, "Brotli quality is 0..11");
    }
}

/// <summary>Thrown for a corrupt, truncated, hostile or unsupported Parquet file; the message says what was wrong.</summary>
public class ParquetFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ParquetFormatException() { }

    /// <summary>Creates the exception with a specific message.</summary>
    public ParquetFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a specific message and the underlying failure.</summary>
    public ParquetFormatException(string message, Exception inner) : base(message, inner) { }
}
