#!/usr/bin/env bash
# The fault suite: what a careless user, a crashing machine and a hostile
# input do to a run, and what the user must get every time: the exit code
# the README documents, one clear line, no input changed, no stray file,
# and outputs that DuckDB and jq read. The cases that need no real
# machine around them (out-of-range times, every form of output = input,
# kill -9, two runs at once, 3,000 inputs, hostile headers) are Go tests
# in cmd/pcap2table too; here each runs the built binary, and the outputs
# are read back by the real consumers.
#   scripts/faults.sh      needs go, jq, node with test/consumers installed;
#                          root to mount a small tmpfs (else that case is
#                          skipped, saying so); about a minute
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/time ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
work=$(mktemp -d)
cleanup() {
  mountpoint -q "$work/full" 2>/dev/null && umount "$work/full"
  rm -rf "$work"
}
trap cleanup EXIT
bin=$work/pcap2table
go build -o "$bin" ./cmd/pcap2table
go run ./bench/gen -n 1000000 -o "$work/long.pcap"
mkdir -p "$work/rot"
go run ./bench/gen -n 300000 -o "$work/whole.pcap"
go run ./bench/gen -n 300000 -split 3000 -o "$work/rot/part.pcap"
small=testdata/captures/pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap
pass=0 fail=0
ok() { echo "ok    $*"; pass=$((pass + 1)); }
bad() { echo "FAIL  $*"; fail=$((fail + 1)); }
# readable PATH...: DuckDB reads every output (and jq every JSONL line)
readable() {
  local p
  for p in "$@"; do
    case $p in *.jsonl) jq -e . "$p" > /dev/null || return 1 ;; esac
  done
  node test/consumers/read.mjs "$@" > "$work/read.txt" || { cat "$work/read.txt"; return 1; }
}
# oneline FILE: the stderr file holds exactly one line
oneline() { [ "$(wc -l < "$1")" = 1 ]; }
# leftovers DIR: temporaries left under DIR
leftovers() { find "$1" -name '.*.tmp-*' | head -5; }
sum() { sha256sum "$1" | cut -d' ' -f1; }
# writing OUT: wait (up to 60 s) until a run writing OUT has made a
# temporary beside or under it, then a little more: it is converting,
# however loaded the machine
writing() {
  local i
  for i in $(seq 1200); do
    if compgen -G "$(dirname "$1")/.*.tmp-*" > /dev/null || compgen -G "$1/.*.tmp-*" > /dev/null; then
      sleep 0.3; return 0
    fi
    sleep 0.05
  done
  echo "no temporary for $1 after 60 s"
}

echo "== disk full"
mkdir -p "$work/full"
if mount -t tmpfs -o size=4m tmpfs "$work/full" 2>/dev/null; then
  "$bin" -q "$small" -o "$work/full/out.parquet"      # an earlier output, kept
  before=$(sum "$work/full/out.parquet")
  rc=0; "$bin" -q "$work/long.pcap" -o "$work/full/out.parquet" 2> "$work/err" || rc=$?
  if [ "$rc" = 1 ] && oneline "$work/err" && grep -q "^pcap2table: writing $work/full/out.parquet: no space left on device$" "$work/err" &&
     [ "$(sum "$work/full/out.parquet")" = "$before" ] && [ -z "$(leftovers "$work/full")" ] && readable "$work/full/out.parquet"; then
    ok "disk full: exit 1, one line, nothing left, the earlier output kept"
  else bad "disk full: exit $rc: $(cat "$work/err")"; fi
  umount "$work/full"
else
  echo "skip  disk full: cannot mount a tmpfs here (not root?)"
fi

echo "== broken pipe"
start=$(date +%s)
set +o pipefail
"$bin" "$work/long.pcap" 2> "$work/err" | head -c 1000 > /dev/null
rc=${PIPESTATUS[0]}
set -o pipefail
took=$(( $(date +%s) - start ))
if { [ "$rc" = 0 ] || [ "$rc" = 141 ]; } && [ ! -s "$work/err" ] && [ "$took" -le 10 ]; then
  ok "broken pipe into head: quiet, at once (exit $rc, ${took} s)"
else bad "broken pipe: exit $rc after ${took} s: $(cat "$work/err")"; fi

echo "== SIGINT mid-write"
for out in o.parquet o.jsonl o.csv ds; do
  args=(-o "$work/int/$out"); [ "$out" = ds ] && args=(--tables packets,flows --partition-by hour -o "$work/int/ds")
  mkdir -p "$work/int"
  "$bin" -q -j 1 "$work/long.pcap" "${args[@]}" 2> "$work/err" & pid=$!
  writing "$work/int/$out"; kill -INT "$pid" 2>/dev/null || echo "the run ended before the signal"; rc=0; wait "$pid" || rc=$?
  paths=("$work/int/$out"); [ "$out" = ds ] && paths=("$work/int/ds/packets" "$work/int/ds/flows")
  if [ "$rc" = 130 ] && readable "${paths[@]}" && [ -z "$(leftovers "$work/int")" ]; then
    ok "SIGINT, $out: exit 130, every output readable ($(head -1 "$work/read.txt" | sed 's/.*: //'))"
  else bad "SIGINT, $out: exit $rc: $(cat "$work/err")"; fi
done

echo "== SIGKILL mid-write, then a run to the same outputs"
"$bin" -q -j 1 "$work/long.pcap" --tables packets,flows,dns,http,tls -o "$work/kill" & pid=$!
writing "$work/kill"; kill -KILL "$pid" 2>/dev/null || echo "the run ended before the signal"; wait "$pid" 2>/dev/null || true
n=$(leftovers "$work/kill" | wc -l)
sleep 2.1 # temporaries younger than 2 s are never swept
"$bin" -q "$small" --tables packets,flows,dns,http,tls -o "$work/kill"
if [ "$n" -gt 0 ] && [ -z "$(leftovers "$work/kill")" ] && readable "$work/kill/packets.parquet" "$work/kill/flows.parquet"; then
  ok "kill -9 left $n temporaries; the next run removed them and wrote readable outputs"
else bad "kill -9: $n temporaries, then: $(leftovers "$work/kill")"; fi

echo "== output = input"
cp "$small" "$work/x.pcap"; ln -sf "$work/x.pcap" "$work/link.pcap"
before=$(sum "$work/x.pcap")
for o in "$work/x.pcap" "$work/link.pcap"; do
  rc=0; "$bin" "$work/x.pcap" --format csv -o "$o" 2> "$work/err" || rc=$?
  if [ "$rc" = 2 ] && grep -q "^pcap2table: refusing to write $o: it is the input $work/x.pcap$" "$work/err" && [ "$(sum "$work/x.pcap")" = "$before" ]; then
    ok "-o $(basename "$o") onto the input: refused, exit 2, the capture unchanged"
  else bad "-o $o: exit $rc: $(cat "$work/err")"; fi
done

echo "== two runs to one output at once"
"$bin" -q "$work/long.pcap" --tables flows -o "$work/two.parquet" & a=$!
"$bin" -q "$small" --tables flows -o "$work/two.parquet" & b=$!
rca=0 rcb=0; wait "$a" || rca=$?; wait "$b" || rcb=$?
if [ "$rca" = 0 ] && [ "$rcb" = 0 ] && readable "$work/two.parquet" && [ -z "$(leftovers "$work")" ]; then
  ok "two runs at once: both exit 0, one whole output ($(sed 's/.*: //' "$work/read.txt"))"
else bad "two runs: exits $rca $rcb"; fi

echo "== 3,000 rotated inputs under ulimit -n 64"
"$bin" -q "$work/whole.pcap" --tables flows,dns -o "$work/whole/"
rc=0; (ulimit -n 64 && exec "$bin" -q "$work"/rot/part_*.pcap --tables flows,dns -o "$work/rot-out/") 2> "$work/err" || rc=$?
if [ "$rc" = 0 ] && cmp -s "$work/whole/flows.parquet" "$work/rot-out/flows.parquet" && cmp -s "$work/whole/dns.parquet" "$work/rot-out/dns.parquet" &&
   readable "$work/rot-out/flows.parquet"; then
  ok "3,000 inputs, 64 open files: the same bytes as the one capture"
else bad "3,000 inputs: exit $rc: $(head -3 "$work/err")"; fi

echo "== a hostile header and a capture cut short"
head -c 24 "$small" > "$work/hostile.pcap"
printf '\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xff\xff\x40\x00\x00\x00' >> "$work/hostile.pcap" # caplen 4 GiB
head -c 100000 "$small" > "$work/cut.pcap"
for f in hostile cut; do
  rc=0; /usr/bin/time -f %M -o "$work/rss" "$bin" "$work/$f.pcap" -o "$work/$f.jsonl" 2> "$work/err" || rc=$?
  rss=$(( $(tail -1 "$work/rss") / 1024 ))
  if [ "$rc" = 3 ] && [ "$(grep -c warning "$work/err")" = 1 ] && grep -q "$work/$f.pcap: offset [0-9]*:" "$work/err" && [ "$rss" -lt 50 ] && readable "$work/$f.jsonl"; then
    ok "$f: exit 3, one warning naming the file and offset, ${rss} MiB, output readable"
  else bad "$f: exit $rc, ${rss} MiB: $(cat "$work/err")"; fi
done

echo "faults: $pass passed, $fail failed"
[ "$fail" = 0 ]
