// What every consumer check shares: counted checks, an in-memory DuckDB,
// and the summary line and exit status.
import { DuckDBInstance } from '@duckdb/node-api';

let checks = 0, failures = 0;

// check counts a check and reports it when cond is false.
export function check(cond, msg) {
  checks++;
  if (!cond) { failures++; console.error(`FAIL ${msg}`); }
}

const con = await (await DuckDBInstance.create(':memory:')).connect();

// rows runs a query in DuckDB and returns its rows as objects.
export async function rows(sql) { return (await con.runAndReadAll(sql)).getRowObjectsJS(); }

// done prints the summary and exits non-zero if a check failed.
export function done(label) {
  console.log(`${label}: ${checks - failures} passed, ${failures} failed`);
  process.exit(failures ? 1 : 0);
}
