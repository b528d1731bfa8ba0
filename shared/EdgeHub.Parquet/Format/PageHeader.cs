using EdgeHub.Parquet.Thrift;

namespace EdgeHub.Parquet.Format;

/// <summary>parquet.thrift <c>PageHeader</c> with its DataPageHeader (5), DictionaryPageHeader (7) and DataPageHeaderV2 (8).</summary>
internal sealed class PageHeader
{
    public PageType Type;
    public int UncompressedSize;
    public int CompressedSize;
    public int NumValues;
    public PageEncoding Encoding;
    public PageEncoding DefinitionLevelEncoding = PageEncoding.Rle;
    // v2 only
    public int NumNulls;
    public int NumRows;
    public int DefinitionLevelsByteLength;
    public int RepetitionLevelsByteLength;
    public bool IsCompressed = true;
    public bool HasBody;

    public void Write(ThriftCompactWriter w)
    {
        w.StructBegin();
        w.I32(1, (int)Type);
        w.I32(2, UncompressedSize);
        w.I32(3, CompressedSize);
        switch (Type)
        {
            case PageType.DataPage:
                w.StructField(5);
                w.I32(1, NumValues);
                w.I32(2, (int)Encoding);
                w.I32(3, (int)PageEncoding.Rle);
                w.I32(4, (int)PageEncoding.Rle);
                w.StructEnd();
                break;
            case PageType.DictionaryPage:
                w.StructField(7);
                w.I32(1, NumValues);
                w.I32(2, (int)Encoding);
                w.StructEnd();
                break;
            case PageType.DataPageV2:
                w.StructField(8);
                w.I32(1, NumValues);
                w.I32(2, NumNulls);
                w.I32(3, NumRows);
                w.I32(4, (int)Encoding);
                w.I32(5, DefinitionLevelsByteLength);
                w.I32(6, 0);
                w.Bool(7, IsCompressed);
                w.StructEnd();
                break;
            default:
                throw new InvalidOperationException($"writing {Type} pages is not supported");
        }
        w.StructEnd();
    }

    public static PageHeader Read(ref ThriftCompactReader r)
    {
        var h = new PageHeader();
        bool hasType = false, hasU = false, hasC = false;
        r.StructBegin();
        while (r.NextField(out var id, out var t))
        {
            switch (id)
            {
                case 1 when t == CompactType.I32: h.Type = (PageType)r.I32(); hasType = true; break;
                case 2 when t == CompactType.I32: h.UncompressedSize = r.I32(); hasU = true; break;
                case 3 when t == CompactType.I32: h.CompressedSize = r.I32(); hasC = true; break;
                case 5 when t == CompactType.Struct: ReadDataPage(ref r, h); h.HasBody = true; break;
                case 7 when t == CompactType.Struct: ReadDictionaryPage(ref r, h); h.HasBody = true; break;
                case 8 when t == CompactType.Struct: ReadDataPageV2(ref r, h); h.HasBody = true; break;
                default: r.Skip(t); break;
            }
        }
        r.StructEnd();
        if (!hasType || !hasU || !hasC) throw r.Error("page header lacks type, uncompressed_page_size or compressed_page_size");
        if (h.UncompressedSize < 0 || h.CompressedSize < 0) throw r.Error($"negative page size ({h.CompressedSize}/{h.UncompressedSize})");
        return h;
    }

    private static void ReadDataPage(ref ThriftCompactReader r, PageHeader h)
    {
        r.StructBegin();
        while (r.NextField(out var id, out var t))
        {
            switch (id)
            {
                case 1 when t == CompactType.I32: h.NumValues = r.I32(); break;
                case 2 when t == CompactType.I32: h.Encoding = (PageEncoding)r.I32(); break;
                case 3 when t == CompactType.I32: h.DefinitionLevelEncoding = (PageEncoding)r.I32(); break;
                default: r.Skip(t); break;
            }
        }
        r.StructEnd();
    }

    private static void ReadDictionaryPage(ref ThriftCompactReader r, PageHeader h)
    {
        r.StructBegin();
        while (r.NextField(out var id, out var t))
        {
            switch (id)
            {
                case 1 when t == CompactType.I32: h.NumValues = r.I32(); break;
                case 2 when t == CompactType.I32: h.Encoding = (PageEncoding)r.I32(); break;
                default: r.Skip(t); break;
            }
        }
        r.StructEnd();
    }

    private static void ReadDataPageV2(ref ThriftCompactReader r, PageHeader h)
    {
        r.StructBegin();
        while (r.NextField(out var id, out var t))
        {
            switch (id)
            {
                case 1 when t == CompactType.I32: h.NumValues = r.I32(); break;
                case 2 when t == CompactType.I32: h.NumNulls = r.I32(); break;
                case 3 when t == CompactType.I32: h.NumRows = r.I32(); break;
                case 4 when t == CompactType.I32: h.Encoding = (PageEncoding)r.I32(); break;
                case 5 when t == CompactType.I32: h.DefinitionLevelsByteLength = r.I32(); break;
                case 6 when t == CompactType.I32: h.RepetitionLevelsByteLength = r.I32(); break;
                case 7: h.IsCompressed = t == CompactType.BoolTrue; break;
                default: r.Skip(t); break;
            }
        }
        r.StructEnd();
    }
}
