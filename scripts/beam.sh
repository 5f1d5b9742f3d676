#!/usr/bin/env bash
# The Beam pipeline (beam/, a module of its own): vet, staticcheck, its
# tests on Beam's Prism runner in-process (the same rows as pcap2table for
# every table but beacons), then the command itself on Prism on a rotated
# capture, its _SUCCESS checked against pcap2table's row counts. The first
# build compiles Beam's 380 modules: about 5 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd beam
echo "-- go vet"
go vet ./...
echo "-- staticcheck"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...
echo "-- go test (Prism, in-process)"
TMPDIR=$tmp go test -count=1 ./... 2>&1 | grep -v 'level=INFO' | tail -20
test "${PIPESTATUS[0]}" -eq 0
echo "-- pcap2table-beam on Prism against pcap2table"
go build -o "$tmp/pcap2table-beam" ./cmd/pcap2table-beam
(cd "$root" && go build -o "$tmp/pcap2table" ./cmd/pcap2table)
in="$root/testdata/rotated/example_*.pcap"
TMPDIR=$tmp "$tmp/pcap2table-beam" --input "$in" --output "$tmp/out" --tables flows,dns,http --parts 4 2> "$tmp/log" ||
  { tail -20 "$tmp/log"; exit 1; }
# shellcheck disable=SC2086 # the glob is the inputs
"$tmp/pcap2table" $in --tables flows,dns,http --format jsonl -o "$tmp/one/" 2> /dev/null
for t in flows dns http; do
  want=$(wc -l < "$tmp/one/$t.jsonl")
  got=$(awk -v t="$t" '$1 == t { print $2 }' "$tmp/out/_SUCCESS")
  [ "$got" = "$want" ] || { echo "$t: $got rows from pcap2table-beam, $want from pcap2table"; cat "$tmp/out/_SUCCESS"; exit 1; }
  ls "$tmp/out/$t"/date=*/part-*.parquet > /dev/null
  echo "$t: $got rows, as pcap2table"
done
echo "-- the same through a job server (Beam's Job API, which Flink's and Spark's job servers serve): a standalone Prism"
go build -o "$tmp/prism" github.com/apache/beam/sdks/v2/go/cmd/prism
port=$((20000 + RANDOM % 20000))
TMPDIR=$tmp "$tmp/prism" --job_port "$port" --serve_http=false --idle_shutdown_timeout 120s > "$tmp/prism.log" 2>&1 &
prism=$!
trap 'kill $prism 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
TMPDIR=$tmp "$tmp/pcap2table-beam" --runner=universal --endpoint="localhost:$port" --environment_type=LOOPBACK \
  --input "$in" --output "$tmp/js" --tables flows,dns,http --parts 3 2> "$tmp/log" ||
  { tail -20 "$tmp/log" "$tmp/prism.log"; exit 1; }
cmp "$tmp/out/_SUCCESS" "$tmp/js/_SUCCESS" || { echo "the job server's run wrote other counts"; exit 1; }
echo "job server: $(tr '\n' ' ' < "$tmp/js/_SUCCESS")"
echo "ok beam"
