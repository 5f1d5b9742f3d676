#!/usr/bin/env bash
# Times the Beam pipeline (beam/, on Prism on this machine) against
# pcap2table on the same captures: the 2 M-packet benchmark capture cut
# into 8 rotated files (editcap -c 250000), tables packets, flows, dns,
# http and tls, Parquet, outputs on tmpfs. Prints wall and CPU seconds and
# peak RSS per run, for docs/scaling.md.
#   bench/beam.sh                 parts 1, 2 and 4
#   PARTS="2 8" RUNS=1 bench/beam.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/out
rot=$out/rotated-8
[ -f bench/out/bench-2000000.pcap ] || N=2000000 ONLY=floor bench/run.sh > /dev/null
if [ ! -d "$rot" ]; then
  mkdir -p "$rot"
  editcap -c 250000 bench/out/bench-2000000.pcap "$rot/rot.pcap"
fi
go build -o "$out/pcap2table" ./cmd/pcap2table
(cd beam && go build -o "../$out/pcap2table-beam" ./cmd/pcap2table-beam)
dst=/dev/shm/pcap2table-beam-bench
tmp=$(mktemp -d)
trap 'rm -rf "$dst" "$tmp"' EXIT
tables=packets,flows,dns,http,tls
once() { # name command...: prints name wall cpu rss_mib
  local name=$1; shift
  rm -rf "$dst"; mkdir -p "$dst"
  local t0=$EPOCHREALTIME
  TMPDIR=$tmp /usr/bin/time -f "%M %U %S" -o "$tmp/time" "$@" > /dev/null 2> "$tmp/err" || { cat "$tmp/err"; exit 1; }
  awk -v n="$name" -v a="$t0" -v b="$EPOCHREALTIME" '{ printf "%-22s %8.2f s wall %8.2f s CPU %6d MiB\n", n, b - a, $2 + $3, $1 / 1024 }' "$tmp/time"
}
for r in $(seq "${RUNS:-2}"); do
  once "pcap2table" "$out/pcap2table" "$rot"/*.pcap --tables $tables -o "$dst/"
  once "pcap2table dns only" "$out/pcap2table" "$rot"/*.pcap --tables dns -o "$dst/"
  for p in ${PARTS:-1 2 4}; do
    once "beam parts=$p" "$out/pcap2table-beam" --input "$rot/*.pcap" --output "$dst/beam" --tables $tables --parts "$p"
  done
done
