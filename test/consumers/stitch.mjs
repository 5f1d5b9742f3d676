// Checks docs/stitch.sql: a real capture cut in two shards, each converted
// on its own (--partition-by hour, as docs/scaling.md says), gives after
// the stitching SQL the same flows as the whole capture converted at once:
// the same flow_ids (a stitched flow keeps its first piece's, which is the
// whole capture's) with the same packet and IP byte counts.
// Usage: node stitch.mjs PCAP2TABLE CAPTURE.pcap OUTDIR
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { check, rows, done } from './harness.mjs';

const [bin, capture, out] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
// cut the classic pcap after half of its packets
const buf = readFileSync(capture);
const le = buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32LE(0) === 0xa1b23c4d;
const recs = [];
for (let off = 24; off + 16 <= buf.length;) {
  const n = le ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8);
  recs.push(off);
  off += 16 + n;
}
const cut = recs[recs.length >> 1];
writeFileSync(`${out}/a.pcap`, buf.subarray(0, cut));
writeFileSync(`${out}/b.pcap`, Buffer.concat([buf.subarray(0, 24), buf.subarray(cut)]));
const run = (...args) => execFileSync(bin, ['-q', ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
run(`${out}/a.pcap`, '--tables', 'flows', '--partition-by', 'hour', '-o', `${out}/shards/shard=0`);
run(`${out}/b.pcap`, '--tables', 'flows', '--partition-by', 'hour', '-o', `${out}/shards/shard=1`);
run(capture, '--tables', 'flows', '-o', `${out}/whole.parquet`);

const q = s => s.replaceAll("'", "''");
await rows(`CREATE VIEW shards AS SELECT * FROM read_parquet('${q(out)}/shards/*/flows/**/*.parquet', hive_partitioning = true)`);
const sql = readFileSync(new URL('../../docs/stitch.sql', import.meta.url), 'utf8');
for (const stmt of sql.replace(/--.*$/gm, '').split(';').map(s => s.trim()).filter(Boolean)) await rows(stmt);

const whole = `read_parquet('${q(out)}/whole.parquet')`;
const [w] = await rows(`SELECT count(*)::INTEGER AS n FROM ${whole}`);
const [s] = await rows(`SELECT count(*)::INTEGER AS n FROM shards`);
const [m] = await rows(`SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE pieces > 1)::INTEGER AS stitched FROM flows_merged`);
check(m.stitched > 0, `no flow crossed the cut: the test proves nothing (${s.n} pieces, ${w.n} flows)`);
check(s.n > w.n, `${s.n} pieces for ${w.n} flows: the cut split none`);
check(m.n === w.n, `stitched ${s.n} pieces into ${m.n} flows, the whole capture has ${w.n}`);
const cols = 'flow_id, community_id, ts_start, ts_end, src_ip, src_port, dst_ip, dst_port, orig_pkts, resp_pkts, orig_ip_bytes, resp_ip_bytes';
const [d] = await rows(`SELECT count(*)::INTEGER AS n FROM (
  (SELECT ${cols} FROM flows_merged EXCEPT ALL SELECT ${cols} FROM ${whole})
  UNION ALL (SELECT ${cols} FROM ${whole} EXCEPT ALL SELECT ${cols} FROM flows_merged))`);
check(d.n === 0, `${d.n} rows differ between the stitched flows and the whole capture's (${cols})`);
console.log(`stitch: ${s.n} pieces -> ${m.n} flows (${m.stitched} stitched), whole capture ${w.n}`);
done('stitching');
