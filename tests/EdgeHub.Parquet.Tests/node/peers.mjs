// Loads the npm test peers from EDGEHUB_NODE_MODULES (absolute path) so the scripts work from any directory.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';

const base = process.env.EDGEHUB_NODE_MODULES;
if (!base) {
  console.error('EDGEHUB_NODE_MODULES is not set; point it at the folder holding @duckdb/node-api and hyparquet');
  process.exit(3);
}

export function loadDuckDb() {
  const require = createRequire(path.join(base, 'noop.js'));
  return require('@duckdb/node-api');
}

export async function loadHyparquet() {
  return import(pathToFileURL(path.join(base, 'hyparquet', 'src', 'node.js')).href);
}

// hyparquet decodes Snappy itself; GZIP and BROTLI come from node's zlib.
export const compressors = {
  GZIP: (input) => new Uint8Array(zlib.gunzipSync(input)),
  BROTLI: (input) => new Uint8Array(zlib.brotliDecompressSync(input)),
};

// JSON-safe values: bigint as string, NaN/Infinity as strings, timestamps as microsecond strings, bytes as hex.
export function jsonValue(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Date) return (BigInt(v.getTime()) * 1000n).toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  if (typeof v === 'object' && 'micros' in v) return v.micros.toString();
  if (Array.isArray(v)) return v.map(jsonValue);
  if (typeof v === 'object') {
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = jsonValue(x);
    return o;
  }
  return String(v);
}
