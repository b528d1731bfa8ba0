namespace EdgeHub.Parquet.Format;

// Enum values are the wire values of parquet.thrift (apache/parquet-format).

internal enum PhysicalType { Boolean = 0, Int32 = 1, Int64 = 2, Int96 = 3, Float = 4, Double = 5, ByteArray = 6, FixedLenByteArray = 7 }

internal enum Repetition { Required = 0, Optional = 1, Repeated = 2 }

internal enum PageEncoding
{
    Plain = 0, PlainDictionary = 2, Rle = 3, BitPacked = 4, DeltaBinaryPacked = 5, DeltaLengthByteArray = 6, DeltaByteArray = 7,
    RleDictionary = 8, ByteStreamSplit = 9,
}

internal enum Codec { Uncompressed = 0, Snappy = 1, Gzip = 2, Lzo = 3, Brotli = 4, Lz4 = 5, Zstd = 6, Lz4Raw = 7 }

internal enum PageType { DataPage = 0, IndexPage = 1, DictionaryPage = 2, DataPageV2 = 3 }

/// <summary>ConvertedType values we write or interpret.</summary>
internal static class ConvertedType
{
    public const int Utf8 = 0, TimestampMillis = 9, TimestampMicros = 10, Int8 = 15, Int16 = 16, Int32 = 17, Int64 = 18, Uint8 = 11,
        Uint16 = 12, Uint32 = 13, Uint64 = 14;
}

/// <summary>Time unit of a TIMESTAMP logical type.</summary>
internal enum TimeUnit { None = 0, Millis = 1, Micros = 2, Nanos = 3 }
