// Runs examples/beacons.sql (the notebook's beacon ranking) with DuckDB on
// DIR/beacons.parquet, pcap2table's output, and prints the ranking as CSV
// (to OUT.csv when given): src_ip,destination,dst_port,proto,score, no score
// written as an empty field. scripts/notebook.sh compares it with the
// ranking that examples/beacons.ipynb writes.
// usage: node beacons_sql.mjs DIR [OUT.csv] [--sql FILE]
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
let sqlFile = fileURLToPath(new URL('../../examples/beacons.sql', import.meta.url));
const i = args.indexOf('--sql');
if (i >= 0) { sqlFile = args[i + 1]; args.splice(i, 2); }
const [dir, out] = args;
if (!dir) {
  console.error('usage: node beacons_sql.mjs DIR [OUT.csv] [--sql FILE]');
  process.exit(2);
}

const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
await c.run(`SET VARIABLE dir = '${dir.replaceAll("'", "''")}'`);
const r = await c.runAndReadAll(readFileSync(sqlFile, 'utf8'));
const cols = r.columnNames();
const want = ['src_ip', 'destination', 'dst_port', 'proto', 'score'];
if (cols.join() !== want.join()) {
  console.error(`${sqlFile}: columns ${cols.join()}, want ${want.join()}`);
  process.exit(1);
}

// A field as CSV writes it: numbers in their shortest round-trip form.
const field = (v) => {
  if (v === null || v === undefined) return '';
  const s = String(v); // DuckDB's USMALLINT and DOUBLE come as JS numbers
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};
const lines = [cols.join(',')];
for (const row of r.getRows()) lines.push(row.map(field).join(','));
const csv = lines.join('\n') + '\n';
if (out) writeFileSync(out, csv);
else process.stdout.write(csv);
