// Reads hive-partitioned datasets (--partition-by) back with DuckDB and
// polars: the same rows as the single files of the same tables, each in
// the partition its timestamp names.
// Usage: node partitions.mjs DIR NAME:BY...   (DIR/NAME/{packets,flows}/** and
// DIR/NAME-single/{packets,flows}.parquet; BY is hour or day)
import { check, rows, done } from './harness.mjs';
import pl from 'nodejs-polars';

const tsCol = { packets: 'ts', flows: 'ts_start' };
const [dir, ...specs] = process.argv.slice(2);
for (const spec of specs) {
  const [name, by] = spec.split(':');
  const b = `${dir}/${name}`.replaceAll("'", "''");
  for (const [table, ts] of Object.entries(tsCol)) {
    const ds = `read_parquet('${b}/${table}/**/*.parquet', hive_partitioning = true)`;
    const single = `read_parquet('${b}-single/${table}.parquet')`;
    const [n] = await rows(`SELECT count(*)::INTEGER AS n FROM ${single}`);
    const [m] = await rows(`SELECT count(*)::INTEGER AS n, count(DISTINCT filename)::INTEGER AS files
      FROM read_parquet('${b}/${table}/**/*.parquet', hive_partitioning = true, filename = true)`);
    check(n.n > 0 && m.n === n.n, `${name}: ${table} dataset ${m.n} rows, single file ${n.n}`);
    // every row sits in the partition of its timestamp (UTC)
    const hourCheck = by === 'hour' ? ` OR hour::INTEGER <> hour(${ts} AT TIME ZONE 'UTC')` : '';
    const [bad] = await rows(`SELECT count(*)::INTEGER AS n FROM ${ds}
      WHERE CAST(date AS VARCHAR) <> strftime(${ts} AT TIME ZONE 'UTC', '%Y-%m-%d')${hourCheck}`);
    check(bad.n === 0, `${name}: ${bad.n} ${table} rows in another ${by}'s partition`);
    const [parts] = await rows(`SELECT count(DISTINCT date)::INTEGER AS n FROM ${ds}`);
    check(parts.n > 1, `${name}: ${table} in ${parts.n} date partition(s), want several (the capture spans them)`);
    // the same rows as the single file (the partition columns aside)
    const [diff] = await rows(`SELECT count(*)::INTEGER AS n FROM (
      (SELECT * EXCLUDE (date${by === 'hour' ? ', hour' : ''}) FROM ${ds} EXCEPT ALL SELECT * FROM ${single})
      UNION ALL
      (SELECT * FROM ${single} EXCEPT ALL SELECT * EXCLUDE (date${by === 'hour' ? ', hour' : ''}) FROM ${ds}))`);
    check(diff.n === 0, `${name}: ${diff.n} ${table} rows differ between the dataset and the single file`);
    // polars reads a partition folder as one frame
    const df = pl.scanParquet(`${dir}/${name}/${table}/**/*.parquet`).collectSync();
    check(df.height === n.n, `${name}: polars ${table} dataset rows ${df.height} != ${n.n}`);
  }
}
done('partitioned datasets');
