// Reads the weird table back with DuckDB, polars and Arrow JS: its types,
// the same rows in every format, rows from the decoder and from the
// flows and http parsers, and its flow_ids join the flows table.
// Usage: node weird.mjs DIR   (DIR/{flows,weird}.parquet, DIR/weird.{csv,arrow,jsonl})
import { readFileSync } from 'node:fs';
import { check, rows, done } from './harness.mjs';
import pl from 'nodejs-polars';
import { tableFromIPC } from 'apache-arrow';

const [dir] = process.argv.slice(2);
const b = dir.replaceAll("'", "''");
const pq = `read_parquet('${b}/weird.parquet')`;
const want = [['ts', 'TIMESTAMP WITH TIME ZONE'], ['flow_id', 'UBIGINT'], ['src_port', 'USMALLINT'], ['name', 'VARCHAR'],
  ['detail', 'VARCHAR'], ['source', 'VARCHAR']];
const types = Object.fromEntries((await rows(`DESCRIBE SELECT * FROM ${pq}`)).map(r => [r.column_name, r.column_type]));
for (const [col, t] of want) check(types[col] === t, `duckdb weird.${col} is ${types[col]}, want ${t}`);
const [n] = await rows(`SELECT count(*)::INTEGER AS n FROM ${pq}`);
const [js] = await rows(`SELECT count(*)::INTEGER AS n FROM read_json('${b}/weird.jsonl', format = 'newline_delimited')`);
const [cs] = await rows(`SELECT count(*)::INTEGER AS n FROM read_csv('${b}/weird.csv', header = true, all_varchar = true)`);
check(n.n > 0 && js.n === n.n && cs.n === n.n, `weird rows: parquet ${n.n}, jsonl ${js.n}, csv ${cs.n}`);
const sources = (await rows(`SELECT DISTINCT source FROM ${pq} ORDER BY source`)).map(r => r.source).join(',');
check(sources === 'decoder,flows,http', `weird sources: ${sources}, want decoder,flows,http`);
const [nf] = await rows(`SELECT count(*)::INTEGER AS n FROM ${pq} WHERE flow_id IS NOT NULL`);
const [j] = await rows(`SELECT count(*)::INTEGER AS n FROM ${pq} w JOIN read_parquet('${b}/flows.parquet') f USING (flow_id)`);
check(nf.n > 0 && j.n === nf.n, `${j.n} of ${nf.n} weird rows with a flow_id join a flow`);
const df = pl.readParquet(`${dir}/weird.parquet`);
check(df.height === n.n, `polars weird rows ${df.height} != ${n.n}`);
check(String(df.getColumn('flow_id').dtype).includes('UInt64'), `polars weird.flow_id is ${df.getColumn('flow_id').dtype}`);
const at = tableFromIPC(readFileSync(`${dir}/weird.arrow`));
check(at.numRows === n.n, `arrow js weird rows ${at.numRows} != ${n.n}`);
done('weird consumers');
