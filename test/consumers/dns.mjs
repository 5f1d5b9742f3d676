// Reads the dns table back with DuckDB, polars and Arrow JS: its types
// (the list columns answers and ttls above all), that every format holds
// the same rows and answers, and the join to the flows table.
// Usage: node dns.mjs DIR NAME...   (DIR/NAME/{flows,dns}.parquet,
// DIR/NAME/dns.{csv,arrow,jsonl})
import { readFileSync } from 'node:fs';
import { check, rows, done } from './harness.mjs';
import pl from 'nodejs-polars';
import { tableFromIPC, Type } from 'apache-arrow';

const [dir, ...names] = process.argv.slice(2);
for (const name of names) {
  const b = `${dir}/${name}`.replaceAll("'", "''");
  const pq = `read_parquet('${b}/dns.parquet')`;
  const types = Object.fromEntries((await rows(`DESCRIBE SELECT * FROM ${pq}`)).map(r => [r.column_name, r.column_type]));
  for (const [col, want] of [['ts', 'TIMESTAMP WITH TIME ZONE'], ['flow_id', 'UBIGINT'], ['trans_id', 'USMALLINT'], ['rtt', 'DOUBLE'],
    ['qtype', 'USMALLINT'], ['rcode', 'UTINYINT'], ['aa', 'BOOLEAN'], ['answers', 'VARCHAR[]'], ['ttls', 'UINTEGER[]'], ['status', 'VARCHAR']]) {
    check(types[col] === want, `${name}: duckdb dns.${col} is ${types[col]}, want ${want}`);
  }
  const [n] = await rows(`SELECT count(*)::INTEGER AS n, sum(len(answers))::INTEGER AS answers,
      count(*) FILTER (WHERE len(answers) <> len(ttls))::INTEGER AS mismatched,
      count(*) FILTER (WHERE status = 'unanswered' AND answers IS NOT NULL)::INTEGER AS bad_null FROM ${pq}`);
  check(n.n > 0 && n.answers > 0, `${name}: ${n.n} dns rows with ${n.answers} answers`);
  check(n.mismatched === 0 && n.bad_null === 0, `${name}: answers/ttls lengths differ in ${n.mismatched} rows, ${n.bad_null} unanswered rows have answers`);
  // every row joins its flow, whose service says dns
  const [j] = await rows(`SELECT count(*)::INTEGER AS n FROM ${pq} d JOIN read_parquet('${b}/flows.parquet') f USING (flow_id)
    WHERE f.service LIKE '%dns%'`);
  check(j.n === n.n, `${name}: ${j.n} of ${n.n} dns rows join a flow with service dns`);
  // JSONL and CSV hold the same answers (CSV: a JSON array in one field)
  const [js] = await rows(`SELECT sum(len(answers))::INTEGER AS a, count(*)::INTEGER AS n FROM read_json('${b}/dns.jsonl', format = 'newline_delimited')`);
  check(js.n === n.n && js.a === n.answers, `${name}: dns.jsonl ${js.n} rows ${js.a} answers, parquet ${n.n} / ${n.answers}`);
  const [cs] = await rows(`SELECT sum(json_array_length(answers::JSON))::INTEGER AS a, count(*)::INTEGER AS n
    FROM read_csv('${b}/dns.csv', header = true, types = {'answers': 'VARCHAR'})`);
  check(cs.n === n.n && cs.a === n.answers, `${name}: dns.csv ${cs.n} rows ${cs.a} answers, parquet ${n.n} / ${n.answers}`);

  // polars: lists of strings and of u32
  const df = pl.readParquet(`${dir}/${name}/dns.parquet`);
  check(String(df.getColumn('answers').dtype).includes('List') && String(df.getColumn('answers').dtype).includes('Utf8') ||
    String(df.getColumn('answers').dtype).includes('String'), `${name}: polars answers is ${df.getColumn('answers').dtype}`);
  check(String(df.getColumn('ttls').dtype).includes('UInt32'), `${name}: polars ttls is ${df.getColumn('ttls').dtype}`);
  const total = df.getColumn('answers').toArray().reduce((s, l) => s + (l ? l.length : 0), 0);
  check(total === n.answers, `${name}: polars counts ${total} answers, duckdb ${n.answers}`);

  // Arrow JS: list<utf8>, list<uint32>
  const at = tableFromIPC(readFileSync(`${dir}/${name}/dns.arrow`));
  check(at.numRows === n.n, `${name}: arrow js dns rows ${at.numRows} != ${n.n}`);
  const ans = at.schema.fields.find(f => f.name === 'answers').type;
  check(ans.typeId === Type.List && ans.children[0].type.typeId === Type.Utf8, `${name}: arrow js answers is ${ans}`);
  const ttl = at.schema.fields.find(f => f.name === 'ttls').type;
  check(ttl.typeId === Type.List && ttl.children[0].type.typeId === Type.Int && ttl.children[0].type.bitWidth === 32 && !ttl.children[0].type.isSigned,
    `${name}: arrow js ttls is ${ttl}`);
  let atotal = 0;
  for (const l of at.getChild('answers')) if (l) atotal += l.length;
  check(atotal === n.answers, `${name}: arrow js counts ${atotal} answers, duckdb ${n.answers}`);
}
done('dns consumers');
