// Reads the flows table (with the packets table written in the same run)
// back with DuckDB, polars and Arrow JS: types, and the packets-flows join.
// Usage: node flows.mjs DIR NAME...   (DIR/NAME/{packets,flows}.parquet,
// DIR/NAME/flows.{csv,arrow,jsonl})
import { readFileSync } from 'node:fs';
import { check, rows, done } from './harness.mjs';
import pl from 'nodejs-polars';
import { tableFromIPC, Type, TimeUnit } from 'apache-arrow';

const [dir, ...names] = process.argv.slice(2);
for (const name of names) {
  const b = `${dir}/${name}`.replaceAll("'", "''");
  const types = Object.fromEntries((await rows(`DESCRIBE SELECT * FROM read_parquet('${b}/flows.parquet')`)).map(r => [r.column_name, r.column_type]));
  for (const [col, want] of [['flow_id', 'UBIGINT'], ['ts_start', 'TIMESTAMP WITH TIME ZONE'], ['ts_end', 'TIMESTAMP WITH TIME ZONE'],
    ['duration', 'DOUBLE'], ['src_port', 'USMALLINT'], ['dst_port', 'USMALLINT'], ['ip_proto', 'UTINYINT'], ['orig_bytes', 'UBIGINT'],
    ['orig_len_min', 'UINTEGER'], ['orig_iat_mean', 'DOUBLE'], ['conn_state', 'VARCHAR'], ['history', 'VARCHAR']]) {
    check(types[col] === want, `${name}: duckdb flows.${col} is ${types[col]}, want ${want}`);
  }
  // The join: every packet with a flow_id has exactly one flow row, and
  // each flow's packet count is what its row says.
  const [j] = await rows(`WITH p AS (SELECT flow_id, count(*) AS n FROM read_parquet('${b}/packets.parquet') WHERE flow_id IS NOT NULL GROUP BY 1),
      f AS (SELECT flow_id, orig_pkts + resp_pkts AS n FROM read_parquet('${b}/flows.parquet'))
    SELECT (SELECT count(*) FROM p)::INTEGER AS pflows, (SELECT count(*) FROM f)::INTEGER AS flows,
           (SELECT count(DISTINCT flow_id) FROM f)::INTEGER AS distinct_flows,
           (SELECT count(*) FROM p JOIN f USING (flow_id) WHERE p.n = f.n)::INTEGER AS matched`);
  check(j.flows > 0 && j.flows === j.distinct_flows, `${name}: ${j.flows} flow rows, ${j.distinct_flows} distinct flow_ids`);
  check(j.matched === j.flows && j.pflows === j.flows, `${name}: ${j.matched} of ${j.flows} flows join their ${j.pflows} packet groups with equal counts`);
  const [s] = await rows(`SELECT count(*)::INTEGER AS n FROM read_parquet('${b}/flows.parquet') WHERE conn_state NOT IN
    ('S0','S1','SF','REJ','S2','S3','RSTO','RSTR','RSTOS0','RSTRH','SH','SHR','OTH') OR end_reason NOT IN ('fin','rst','idle','active','eof')`);
  check(s.n === 0, `${name}: ${s.n} flows with an unknown conn_state or end_reason`);
  // CSV and JSONL hold as many flows.
  const [c] = await rows(`SELECT count(*)::INTEGER AS n FROM read_csv('${b}/flows.csv', header = true)`);
  check(c.n === j.flows, `${name}: flows.csv has ${c.n} rows, parquet ${j.flows}`);
  const [js] = await rows(`SELECT count(*)::INTEGER AS n FROM read_json('${b}/flows.jsonl', format = 'newline_delimited')`);
  check(js.n === j.flows, `${name}: flows.jsonl has ${js.n} rows, parquet ${j.flows}`);

  // polars: timestamps in ns UTC, unsigned counters.
  const df = pl.readParquet(`${dir}/${name}/flows.parquet`);
  const t = df.getColumn('ts_start').dtype;
  check(String(t).startsWith('DataType(Datetime') && t.timeUnit === 'ns' && t.timeZone === 'UTC', `${name}: polars ts_start is ${t}`);
  check(String(df.getColumn('orig_pkts').dtype).includes('UInt64'), `${name}: polars orig_pkts is ${df.getColumn('orig_pkts').dtype}`);

  // Arrow JS: the IPC file.
  const at = tableFromIPC(readFileSync(`${dir}/${name}/flows.arrow`));
  check(at.numRows === j.flows, `${name}: arrow js flows rows ${at.numRows} != ${j.flows}`);
  const ts = at.schema.fields.find(f => f.name === 'ts_end').type;
  check(ts.typeId === Type.Timestamp && ts.unit === TimeUnit.NANOSECOND && ts.timezone === 'UTC', `${name}: arrow js ts_end is ${ts}`);
  const fid = at.schema.fields.find(f => f.name === 'flow_id').type;
  check(fid.typeId === Type.Int && !fid.isSigned && fid.bitWidth === 64, `${name}: arrow js flow_id is ${fid}`);
}
done('flows consumers');
