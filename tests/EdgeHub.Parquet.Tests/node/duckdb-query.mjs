// Runs SQL statements with DuckDB (single thread) and prints {"results":[[row objects]...]} as one JSON line.
// Usage: node duckdb-query.mjs <file with one JSON array of SQL strings>
import fs from 'node:fs';
import { loadDuckDb, jsonValue } from './peers.mjs';

const { DuckDBInstance } = loadDuckDb();
const statements = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
const conn = await instance.connect();
const results = [];
for (const sql of statements) {
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const reader = await conn.runAndReadAll(sql);
  const cpu = process.cpuUsage(cpu0);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const rows = reader.getRowObjects().map(jsonValue);
  results.push({ ms, cpu_ms: (cpu.user + cpu.system) / 1000, rows });
}
process.stdout.write(JSON.stringify({ results }) + '\n');
