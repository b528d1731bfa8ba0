// Reads a Parquet file with hyparquet; prints metadata (schema, row groups, statistics) and every row as one JSON line.
// Usage: node hyparquet-read.mjs <file.parquet>
import { loadHyparquet, compressors, jsonValue } from './peers.mjs';

const hp = await loadHyparquet();
const file = await hp.asyncBufferFromFile(process.argv[2]);
const metadata = await hp.parquetMetadataAsync(file);
const rows = await hp.parquetReadObjects({
  file,
  compressors,
  parsers: {
    timestampFromMicroseconds: (v) => BigInt(v).toString(),
    timestampFromMilliseconds: (v) => (BigInt(v) * 1000n).toString(),
    timestampFromNanoseconds: (v) => (BigInt(v) / 1000n).toString(),
    dateFromDays: (v) => v,
  },
});
const meta = {
  num_rows: metadata.num_rows.toString(),
  created_by: metadata.created_by ?? null,
  key_value_metadata: metadata.key_value_metadata ?? [],
  schema: metadata.schema.map((s) => ({
    name: s.name, type: s.type ?? null, repetition_type: s.repetition_type ?? null,
    converted_type: s.converted_type ?? null, logical_type: s.logical_type ?? null,
  })),
  row_groups: metadata.row_groups.map((g) => ({
    num_rows: g.num_rows.toString(),
    columns: g.columns.map((c) => ({
      path: c.meta_data.path_in_schema.join('.'),
      codec: c.meta_data.codec,
      encodings: c.meta_data.encodings,
      statistics: c.meta_data.statistics ?? null,
    })),
  })),
};
process.stdout.write(JSON.stringify(jsonValue({ metadata: meta, rows })) + '\n');
