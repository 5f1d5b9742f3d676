// Reads the http, tls and beacons tables back with DuckDB, polars and
// Arrow JS: their types, the same rows in every format, and the joins to
// the flows table (service http / tls).
// Usage: node protocols.mjs DIR NAME...   (DIR/NAME/{flows,http,tls,beacons}.parquet
// and DIR/NAME/{http,tls,beacons}.{csv,arrow,jsonl})
import { readFileSync } from 'node:fs';
import { check, rows, done } from './harness.mjs';
import pl from 'nodejs-polars';
import { tableFromIPC, Type } from 'apache-arrow';

const want = {
  http: [['ts', 'TIMESTAMP WITH TIME ZONE'], ['flow_id', 'UBIGINT'], ['trans_depth', 'UINTEGER'], ['method', 'VARCHAR'],
    ['request_body_len', 'UBIGINT'], ['status_code', 'USMALLINT'], ['rtt', 'DOUBLE']],
  tls: [['ts', 'TIMESTAMP WITH TIME ZONE'], ['transport', 'VARCHAR'], ['cipher', 'USMALLINT'], ['client_alpn', 'VARCHAR[]'], ['resumed', 'BOOLEAN'],
    ['established', 'BOOLEAN'], ['ja4', 'VARCHAR'], ['cert_not_after', 'TIMESTAMP WITH TIME ZONE']],
  beacons: [['connections', 'UBIGINT'], ['first_ts', 'TIMESTAMP WITH TIME ZONE'], ['dst_port', 'USMALLINT'], ['score', 'DOUBLE'],
    ['interval_cv', 'DOUBLE']],
};
const polarsWant = { http: [['status_code', 'UInt16'], ['trans_depth', 'UInt32']], tls: [['cipher', 'UInt16'], ['client_alpn', 'List']],
  beacons: [['connections', 'UInt64'], ['score', 'Float64']] };

const [dir, ...names] = process.argv.slice(2);
for (const name of names) {
  const b = `${dir}/${name}`.replaceAll("'", "''");
  for (const [table, cols] of Object.entries(want)) {
    const pq = `read_parquet('${b}/${table}.parquet')`;
    const types = Object.fromEntries((await rows(`DESCRIBE SELECT * FROM ${pq}`)).map(r => [r.column_name, r.column_type]));
    for (const [col, t] of cols) check(types[col] === t, `${name}: duckdb ${table}.${col} is ${types[col]}, want ${t}`);
    const [n] = await rows(`SELECT count(*)::INTEGER AS n FROM ${pq}`);
    check(n.n > 0, `${name}: ${n.n} ${table} rows`);
    const [js] = await rows(`SELECT count(*)::INTEGER AS n FROM read_json('${b}/${table}.jsonl', format = 'newline_delimited')`);
    const [cs] = await rows(`SELECT count(*)::INTEGER AS n FROM read_csv('${b}/${table}.csv', header = true, all_varchar = true)`);
    check(js.n === n.n && cs.n === n.n, `${name}: ${table} rows: parquet ${n.n}, jsonl ${js.n}, csv ${cs.n}`);
    if (table !== 'beacons') {
      const [j] = await rows(`SELECT count(*)::INTEGER AS n FROM ${pq} x JOIN read_parquet('${b}/flows.parquet') f USING (flow_id)
        WHERE f.service LIKE '%${table}%'`);
      check(j.n === n.n, `${name}: ${j.n} of ${n.n} ${table} rows join a flow with service ${table}`);
    }
    const df = pl.readParquet(`${dir}/${name}/${table}.parquet`);
    check(df.height === n.n, `${name}: polars ${table} rows ${df.height} != ${n.n}`);
    for (const [col, t] of polarsWant[table]) {
      check(String(df.getColumn(col).dtype).includes(t), `${name}: polars ${table}.${col} is ${df.getColumn(col).dtype}, want ${t}`);
    }
    const at = tableFromIPC(readFileSync(`${dir}/${name}/${table}.arrow`));
    check(at.numRows === n.n, `${name}: arrow js ${table} rows ${at.numRows} != ${n.n}`);
    if (table === 'tls') {
      const alpn = at.schema.fields.find(f => f.name === 'client_alpn').type;
      check(alpn.typeId === Type.List && alpn.children[0].type.typeId === Type.Utf8, `${name}: arrow js client_alpn is ${alpn}`);
    }
    if (table === 'beacons') {
      const [o] = await rows(`SELECT count(*)::INTEGER AS bad FROM (SELECT score, lag(score) OVER () AS prev FROM ${pq}) WHERE prev < score`);
      check(o.bad === 0, `${name}: beacons not ordered by score (${o.bad} rises)`);
    }
  }
}
done('protocol consumers');
