// DuckDB reads the Parquet file left by an interrupted run.
// usage: node interrupted.mjs FILE
import { DuckDBInstance } from '@duckdb/node-api';
const file = process.argv[2].replaceAll("'", "''");
const con = await (await DuckDBInstance.create(':memory:')).connect();
const [r] = (await con.runAndReadAll(`SELECT count(*)::BIGINT AS n, count(DISTINCT frame)::BIGINT AS f FROM read_parquet('${file}')`)).getRowObjectsJS();
const ok = r.n >= 4631n;
console.log(`interrupted: DuckDB reads ${r.n} rows: ${ok ? '1 passed, 0 failed' : '0 passed, 1 failed'}`);
process.exit(ok ? 0 : 1);
