// Ids survive every consumer: flow_id (in packets, flows, dns, http and
// tls) stays within ±(2^53 − 1), so DuckDB's CSV and JSON auto-detection,
// polars, Arrow JS and JavaScript's JSON.parse all read the integers
// Parquet holds, digit for digit, and every table's ids join the flows.
// Usage: node ids.mjs DIR   (DIR/{parquet,csv,jsonl,arrow}/TABLE.EXT)
import { readFileSync } from 'node:fs';
import { check, rows, done } from './harness.mjs';
import pl from 'nodejs-polars';
import { tableFromIPC } from 'apache-arrow';

const dir = process.argv[2];
const q = (s) => s.replaceAll("'", "''");
const tables = ['packets', 'flows', 'dns', 'http', 'tls'];
const sorted = (a) => [...a].sort();
const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

const flowIds = new Set((await rows(`SELECT flow_id::VARCHAR AS id FROM read_parquet('${q(dir)}/parquet/flows.parquet')`)).map(r => r.id));
check(flowIds.size > 0, 'no flows');
for (const t of tables) {
  const pq = sorted((await rows(`SELECT flow_id::VARCHAR AS id FROM read_parquet('${q(dir)}/parquet/${t}.parquet') WHERE flow_id IS NOT NULL`)).map(r => r.id));
  check(pq.length > 0, `${t}: no rows with a flow_id`);
  const big = pq.filter(id => BigInt(id) > BigInt(Number.MAX_SAFE_INTEGER));
  check(big.length === 0, `${t}: ${big.length} flow_ids above 2^53 - 1 (${big[0]})`);
  const lost = pq.filter(id => !flowIds.has(id));
  check(lost.length === 0, `${t}: ${lost.length} of ${pq.length} flow_ids join no flow row`);

  // DuckDB auto-detects the CSV and JSONL columns as integers, not DOUBLE
  for (const [fmt, from] of [['csv', `read_csv('${q(dir)}/csv/${t}.csv')`], ['jsonl', `read_json('${q(dir)}/jsonl/${t}.jsonl', format = 'newline_delimited')`]]) {
    const types = Object.fromEntries((await rows(`DESCRIBE SELECT flow_id FROM ${from}`)).map(r => [r.column_name, r.column_type]));
    check(['BIGINT', 'UBIGINT'].includes(types.flow_id), `${t}.${fmt}: DuckDB reads flow_id as ${types.flow_id}`);
    const got = sorted((await rows(`SELECT flow_id::VARCHAR AS id FROM ${from} WHERE flow_id IS NOT NULL`)).map(r => r.id));
    check(same(got, pq), `${t}.${fmt}: DuckDB's auto-detected flow_ids differ from Parquet's`);
  }
  // JSON.parse: safe integers, the same digits
  const js = sorted(readFileSync(`${dir}/jsonl/${t}.jsonl`, 'utf8').split('\n').filter(Boolean)
    .map(l => JSON.parse(l).flow_id).filter(v => v !== null).map(v => {
      check(Number.isSafeInteger(v), `${t}.jsonl: JSON.parse gives ${v}, not a safe integer`);
      return String(v);
    }));
  check(same(js, pq), `${t}.jsonl: JSON.parse's flow_ids differ from Parquet's`);
  // polars' CSV inference and Arrow JS
  const df = pl.readCSV(`${dir}/csv/${t}.csv`);
  const col = df.getColumn('flow_id');
  check(String(col.dtype).includes('Int64'), `${t}.csv: polars reads flow_id as ${col.dtype}`);
  const pol = sorted(col.toArray().filter(v => v !== null).map(v => String(v)));
  check(same(pol, pq), `${t}.csv: polars' flow_ids differ from Parquet's`);
  const at = tableFromIPC(readFileSync(`${dir}/arrow/${t}.arrow`)).getChild('flow_id');
  const arr = sorted([...at.toArray()].filter((v, i) => at.isValid(i)).map(v => String(v)));
  check(same(arr, pq), `${t}.arrow: Arrow JS's flow_ids differ from Parquet's`);
}
done('ids');
