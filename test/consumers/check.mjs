// Reads pcap2table outputs back with real consumers and checks types and
// values. usage: node check.mjs DIR NAME...   (DIR/NAME.{parquet,arrow,
// arrows,csv,jsonl,ns.jsonl} made by scripts/consumers.sh; DIR/NAME.count
// holds the packet count). Exits non-zero if a check failed.
import { readFileSync } from 'node:fs';
import { check, rows, done } from './harness.mjs';
import pl from 'nodejs-polars';
import { tableFromIPC, Type, TimeUnit } from 'apache-arrow';

const [dir, ...names] = process.argv.slice(2);
for (const name of names) {
  const base = `${dir}/${name}`;
  const n = Number(readFileSync(`${base}.count`, 'utf8').trim());
  const q = (s) => s.replaceAll("'", "''");

  // DuckDB: Parquet row count, types, metadata; CSV has the same values.
  const [c] = await rows(`SELECT count(*)::INTEGER AS n FROM read_parquet('${q(base)}.parquet')`);
  check(c.n === n, `${name}: duckdb parquet rows ${c.n} != ${n}`);
  const types = Object.fromEntries((await rows(`DESCRIBE SELECT * FROM read_parquet('${q(base)}.parquet')`)).map(r => [r.column_name, r.column_type]));
  check(types.ts === 'TIMESTAMP WITH TIME ZONE', `${name}: duckdb ts is ${types.ts}`);
  for (const col of ['src_port', 'dst_port', 'eth_type', 'tcp_flags', 'vlan', 'linktype', 'ip_len', 'tcp_win']) {
    check(types[col] === 'USMALLINT', `${name}: duckdb ${col} is ${types[col]}`);
  }
  for (const [col, want] of [['frame', 'UBIGINT'], ['caplen', 'UINTEGER'], ['ip_proto', 'UTINYINT'], ['more_frags', 'BOOLEAN'], ['src_ip', 'VARCHAR'], ['flow_id', 'UBIGINT']]) {
    check(types[col] === want, `${name}: duckdb ${col} is ${types[col]}, want ${want}`);
  }
  const kv = await rows(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${q(base)}.parquet')`);
  check(kv.some(r => r.k === 'pcap2table.version'), `${name}: no pcap2table.version in parquet metadata`);
  check(kv.some(r => r.k === 'pcap2table.schema_version' && r.v === '1'), `${name}: no schema_version in parquet metadata`);
  // Parquet layout: zstd, dictionary-encoded strings, row groups of at most 1 Mi rows.
  const md = await rows(`SELECT path_in_schema AS col, compression, encodings, row_group_num_rows::BIGINT AS rg FROM parquet_metadata('${q(base)}.parquet')`);
  check(md.every(r => r.compression === 'ZSTD'), `${name}: parquet compression ${[...new Set(md.map(r => r.compression))]}`);
  for (const col of ['src_ip', 'dst_ip', 'file']) {
    check(md.filter(r => r.col === col).every(r => String(r.encodings).includes('RLE_DICTIONARY')), `${name}: ${col} is not dictionary-encoded: ${md.find(r => r.col === col)?.encodings}`);
  }
  check(md.every(r => r.rg <= 1048576n), `${name}: a row group has more than 1 Mi rows`);
  // Row-group statistics (what engines prune row groups with) are written,
  // though data page headers carry none.
  const st = await rows(`SELECT path_in_schema AS col, stats_min_value AS lo, stats_max_value AS hi FROM parquet_metadata('${q(base)}.parquet')
    WHERE path_in_schema IN ('frame', 'ts', 'src_ip')`);
  check(st.length >= 3 && st.every(r => r.lo !== null && r.hi !== null), `${name}: row groups without min/max statistics: ${JSON.stringify(st.filter(r => r.lo === null || r.hi === null))}`);
  // CSV (written with --time-format epoch_ns) holds the same values as Parquet.
  const cols = Object.keys(types).filter(k => k !== 'ts');
  const pq = cols.map(k => `CAST("${k}" AS VARCHAR) AS "${k}"`).join(', ');
  const cs = cols.map(k => `"${k}"`).join(', ');
  const [d] = await rows(`SELECT count(*)::INTEGER AS n FROM (
      (SELECT ${pq}, epoch_us(ts) AS us FROM read_parquet('${q(base)}.parquet')
       EXCEPT ALL
       SELECT ${cs}, CAST(ts AS BIGINT) // 1000 AS us FROM read_csv('${q(base)}.csv', all_varchar = true, header = true))
      UNION ALL
      (SELECT ${cs}, CAST(ts AS BIGINT) // 1000 AS us FROM read_csv('${q(base)}.csv', all_varchar = true, header = true)
       EXCEPT ALL
       SELECT ${pq}, epoch_us(ts) AS us FROM read_parquet('${q(base)}.parquet')))`);
  check(d.n === 0, `${name}: ${d.n} rows differ between CSV and Parquet in DuckDB`);
  const [j] = await rows(`SELECT count(*)::INTEGER AS n FROM read_json('${q(base)}.jsonl', format = 'newline_delimited')`);
  check(j.n === n, `${name}: duckdb jsonl rows ${j.n} != ${n}`);

  // polars: ts is Datetime(ns, UTC) with the exact nanoseconds.
  const df = pl.readParquet(`${base}.parquet`);
  check(df.height === n, `${name}: polars rows ${df.height} != ${n}`);
  const tsType = df.getColumn('ts').dtype;
  check(String(tsType).startsWith('DataType(Datetime') && tsType.timeUnit === 'ns' && tsType.timeZone === 'UTC',
    `${name}: polars ts is ${tsType}`);
  const want = readFileSync(`${base}.ns.jsonl`, 'utf8').trim().split('\n').filter(Boolean)
    .map(l => /"ts":(null|-?\d+)/.exec(l)[1]);
  // Int64 -> Utf8 in polars: JS numbers would round above 2^53.
  const got = df.getColumn('ts').cast(pl.Int64).cast(pl.Utf8).toArray().map(v => v === null ? 'null' : v);
  const bad = want.findIndex((w, i) => w !== got[i]);
  check(bad < 0, `${name}: polars ts row ${bad}: ${got[bad]} != ${want[bad]}`);
  check(String(df.getColumn('src_port').dtype).includes('UInt16'), `${name}: polars src_port is ${df.getColumn('src_port').dtype}`);
  // (nodejs-polars' readIPC(path) fails on valid files here; a Buffer works)
  const ipcDf = pl.readIPC(readFileSync(`${base}.arrow`));
  check(ipcDf.height === n, `${name}: polars arrow rows ${ipcDf.height} != ${n}`);

  // Arrow JS: file and stream, Timestamp<NANOSECOND, UTC>, unsigned ports.
  for (const ext of ['arrow', 'arrows']) {
    const t = tableFromIPC(readFileSync(`${base}.${ext}`));
    check(t.numRows === n, `${name}.${ext}: arrow js rows ${t.numRows} != ${n}`);
    const ts = t.schema.fields.find(f => f.name === 'ts').type;
    check(ts.typeId === Type.Timestamp && ts.unit === TimeUnit.NANOSECOND && ts.timezone === 'UTC',
      `${name}.${ext}: arrow js ts is ${ts}`);
    const sp = t.schema.fields.find(f => f.name === 'src_port').type;
    check(sp.typeId === Type.Int && !sp.isSigned && sp.bitWidth === 16, `${name}.${ext}: arrow js src_port is ${sp}`);
  }
}
done('consumers');
