#!/usr/bin/env bash
# The three floods that aim at the converter's memory bounds, each beside
# a benign capture of as many packets, with the peak RSS of the flows
# table's run and the documented bound of the state the flood fills:
#   flows   a SYN flood of N distinct flows (--max-flows 100000: about
#           1.2 KiB per live flow, docs/flows.md)
#   instant the same flood at one timestamp: each flow evicted as it starts
#           has its id remembered until the clock moves (at most 65,536
#           ids, 2.3 MiB, docs/flows.md), on top of the live flows
#   frags   N first fragments that never complete (--frag-cap, 16 MiB)
#   holes   TCP flows each behind a lost segment, their data waiting
#           behind the hole (--reassembly-cap, 64 MiB in all)
# Two figures per run: the peak RSS (/usr/bin/time), and the most live heap
# after a garbage collection (GODEBUG=gctrace=1): what the run holds. RSS
# is about twice that (the collector's headroom, transparent huge pages);
# the live heap's excess over the benign run is what to hold against the
# bound. For the fragments, the pipeline's row batches also hold each
# fragment's bytes until it is tracked (8192 rows x 1480 bytes x 4 batches,
# about 48 MiB), a bound of their own (batch size x snap length).
#   bench/floods.sh            N=2000000, outputs on tmpfs
#   N=500000 bench/floods.sh   quicker
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000000}
out=bench/out
mkdir -p "$out"
dst=${OUT:-/dev/shm/pcap2table-floods}
mkdir -p "$dst"
go build -o "$out/pcap2table" ./cmd/pcap2table
go build -o "$out/floods" ./bench/floods
if [ ! -x /usr/bin/time ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
for k in benign flows instant frags holes; do
  [ -f "$out/flood-$k-$N.pcap" ] || "$out/floods" -kind "$k" -n "$N" -o "$out/flood-$k-$N.pcap"
done
# "RSS_MiB HEAP_MiB" of a flows-table run of capture $1 with flags $2...
peak() {
  local cap=$1; shift
  GODEBUG=gctrace=1 /usr/bin/time -f %M -o "$out/time.txt" "$out/pcap2table" -q "$cap" --tables flows -o "$dst/flows.parquet" "$@" 2>"$out/err.txt" ||
    { rc=$?; [ "$rc" = 3 ] || { echo "failed ($rc):"; cat "$out/err.txt"; exit 1; }; }
  rm -f "$dst/flows.parquet"
  local heap
  # the live heap after each collection, past the start's forced one (the
  # huge-page reserve, internal/hugepage, is briefly 256 MB of untouched heap)
  heap=$(awk '/^gc /{ if (/\(forced\)/ && !f) { f = 1; n = 0; next } l[++n] = $0 }
    END { for (i = 1; i <= n; i++) print l[i] }' "$out/err.txt" |
    sed -E 's/.*->([0-9]+) MB.*/\1/' | sort -n | tail -1)
  echo "$(( ($(tail -1 "$out/time.txt") + 512) / 1024 )) ${heap:-0}"
}
read -r brss bheap <<< "$(peak "$out/flood-benign-$N.pcap" --max-flows 100000)"
printf '%-7s %-20s %9s %9s %14s  %s\n' flood flags "RSS MiB" "heap MB" "heap - benign" "documented bound of what it fills"
printf '%-7s %-20s %9s %9s %14s\n' benign "" "$brss" "$bheap" ""
row() {
  local k=$1 bound=$2; shift 2
  local rss heap
  read -r rss heap <<< "$(peak "$out/flood-$k-$N.pcap" "$@")"
  printf '%-7s %-20s %9s %9s %14s  %s\n' "$k" "${*:-(defaults)}" "$rss" "$heap" "$((heap - bheap))" "$bound"
}
row flows "100000 live flows x ~1.2 KiB = 117 MiB" --max-flows 100000
row instant "117 MiB of flows + 65,536 ids x 36 B = 2.3 MiB" --max-flows 100000
row frags "--frag-cap 16 MiB"
row holes "--reassembly-cap 64 MiB"
echo "capture: $N packets each; go $(go env GOVERSION); $(nproc) cores"
