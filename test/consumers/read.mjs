// Reads pcap2table outputs with DuckDB and prints each one's row count:
// a Parquet, CSV or JSONL file, or a partitioned dataset's folder.
// usage: node read.mjs PATH...   Exits non-zero if one cannot be read.
import { DuckDBInstance } from '@duckdb/node-api';
import { statSync } from 'node:fs';

const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const q = (s) => s.replaceAll("'", "''");
let failed = 0;
for (const p of process.argv.slice(2)) {
  let from;
  if (statSync(p).isDirectory()) {
    from = `read_parquet('${q(p)}/**/*.parquet', hive_partitioning = true)`;
  } else if (p.endsWith('.parquet')) {
    from = `read_parquet('${q(p)}')`;
  } else if (p.endsWith('.csv')) {
    from = `read_csv('${q(p)}', types = {'flow_id': 'UBIGINT'})`;
  } else {
    from = `read_json('${q(p)}', format = 'newline_delimited')`;
  }
  try {
    const r = await c.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${from}`);
    console.log(`${p}: ${r.getRowObjectsJson()[0].n} rows`);
  } catch (e) {
    console.log(`FAIL ${p}: ${e.message}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
