#!/usr/bin/env bash
# Benchmarks pcap2table against the read+decode floor and tshark, all in
# one run on the same generated capture, and prints ratios (machines here
# are noisy: compare ratios measured side by side, not absolute times).
#   bench/run.sh            2 M packets (generated once into bench/out/)
#   N=200000 bench/run.sh   a quicker run
#   RSS10M=1 bench/run.sh   also the 10 M-packet peak-RSS run (Parquet)
#   FLOWS1M=1 bench/run.sh  also the peak-RSS runs on 3 M packets holding
#                           about 1 M concurrent flows (flows; packets+flows)
#   MEM10X=1 bench/run.sh   also every table on 1 M and 10 M packets (snap 128):
#                           how peak RSS grows with the capture
#   SCALING=0 bench/run.sh  skip the runs on 1, 2, 4, ... cores (taskset)
#   BASE=/tmp/old-pcap2table bench/run.sh  also the main runs of an older
#                           build, in the same rounds (NAME@base)
#   TSHARK=0 bench/run.sh   skip tshark (about 2.5 minutes of each round)
#   OUT=/var/tmp/p2t bench/run.sh  write the outputs to disk instead of tmpfs
#                           (a folder of their own: it is removed at the end)
#   ONLY="floor flows tshark-conv" bench/run.sh  only the runs named
# Outputs go to tmpfs (/dev/shm) by default and are removed after each run:
# this measures the tool, not the disk's writeback, which made disk runs
# here vary by 2x from one run to the next.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000000}
out=bench/out
mkdir -p "$out"
cap=$out/bench-$N.pcap
dst=${OUT:-/dev/shm/pcap2table-bench}
case $(realpath -m "$dst") in
  "$(realpath -m "$out")" | "$(realpath -m .)" | /) echo "OUT=$dst would be removed at the end: give a folder of its own" >&2; exit 2 ;;
esac
mkdir -p "$dst"
go build -o "$out/pcap2table" ./cmd/pcap2table
go build -o "$out/floor" ./bench/floor
[ -f "$cap" ] || go run ./bench/gen -n "$N" -o "$cap"
# The columns tshark extracts below, in pcap2table's names.
COLS=frame,ts,length,src_ip,dst_ip,ip_proto,src_port,dst_port,tcp_flags
RUNS=${RUNS:-3}

# Runs are interleaved: every round runs each command once, in the same
# order, so that the machine's drift (which moved the floor by 40 % between
# runs here) hits every command alike; each gets the median of RUNS rounds.
names=() cmds=()
add() {
  if [ -n "${ONLY:-}" ] && [[ " $ONLY " != *" $1 "* ]]; then return; fi
  names+=("$1"); shift; cmds+=("$*")
}
# one run of a command: appends "name seconds rss_kib" to raw.txt
once() {
  local name=$1; shift
  local t0=$EPOCHREALTIME t1
  /usr/bin/time -f "%M %U %S" -o "$out/time.txt" "$@" >/dev/null 2>"$out/err.txt" || { echo "$name failed:"; cat "$out/err.txt"; exit 1; }
  t1=$EPOCHREALTIME
  rm -rf "$dst"/o.*
  # wall time in ms resolution (time's %e has only 10 ms); peak RSS KiB;
  # CPU seconds (user + system)
  echo "$name $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", b-a}') $(awk '{printf "%d %.2f", $1, $2 + $3}' "$out/time.txt")" >> "$out/raw.txt"
}
add floor "$out/floor" "$cap"
for f in csv jsonl arrow arrows parquet; do
  add "$f" "$out/pcap2table" -q "$cap" --columns "$COLS" -o "$dst/o.$f"
done
for f in csv jsonl arrow parquet; do
  add "$f-all-columns" "$out/pcap2table" -q "$cap" -o "$dst/o.$f"
done
# issue 3: packets + flows in one pass, and flows alone (Parquet)
add packets+flows "$out/pcap2table" -q "$cap" --tables packets,flows -o "$dst/o.tables"
add flows "$out/pcap2table" -q "$cap" --tables flows -o "$dst/o.flows.parquet"
# issue 4: every table in one pass, and the protocol tables without packets
add all-tables "$out/pcap2table" -q "$cap" --tables packets,flows,dns,http,tls,beacons -o "$dst/o.all"
add protocols "$out/pcap2table" -q "$cap" --tables flows,dns,http,tls,beacons -o "$dst/o.proto"
# issue 5: the same on one core (-j 1), for the scaling ratio
add all-tables-j1 "$out/pcap2table" -j 1 -q "$cap" --tables packets,flows,dns,http,tls,beacons -o "$dst/o.all1"
# BASE=path/to/an/older/pcap2table: the same runs of that binary, in the
# same rounds, named NAME@base (an A/B comparison on a noisy machine)
if [ -n "${BASE:-}" ]; then
  for f in csv jsonl parquet; do
    add "$f-all-columns@base" "$BASE" -q "$cap" -o "$dst/o.b.$f"
  done
  add flows@base "$BASE" -q "$cap" --tables flows -o "$dst/o.b.flows.parquet"
  add all-tables@base "$BASE" -q "$cap" --tables packets,flows,dns,http,tls,beacons -o "$dst/o.b.all"
fi
# issue 25's scaling: all tables and the default Parquet on 1, 2, 4, ...
# cores (taskset; -j the same), up to the machine's (SCALING=0 skips them)
if [ "${SCALING:-1}" = 1 ]; then
  for ((k = 1; k <= $(nproc); k *= 2)); do
    add "all-tables-cores$k" taskset -c "0-$((k - 1))" "$out/pcap2table" -j "$k" -q "$cap" --tables packets,flows,dns,http,tls,beacons -o "$dst/o.allc$k"
    add "parquet-cores$k" taskset -c "0-$((k - 1))" "$out/pcap2table" -j "$k" -q "$cap" -o "$dst/o.pc$k.parquet"
  done
fi
# tshark runs in the rounds too: its time here drifted by 1.6x between
# runs minutes apart, so a single run of it next to medians of ours made
# the ratios a matter of luck.
if [ "${TSHARK:-1}" = 1 ] && command -v tshark >/dev/null; then
  add tshark tshark -n -r "$cap" -T fields -E separator=, \
    -e frame.number -e frame.time_epoch -e frame.len -e ip.src -e ip.dst -e ip.proto \
    -e tcp.srcport -e tcp.dstport -e tcp.flags
  add tshark-conv tshark -n -q -r "$cap" -z conv,tcp -z conv,udp
  # the protocol tables' fields: what the dns, http and tls tables hold
  add tshark-proto tshark -n -r "$cap" -T fields -E separator=, -e frame.number -e tcp.stream -e udp.stream \
    -e dns.id -e dns.qry.name -e dns.qry.type -e dns.flags.rcode -e dns.a -e dns.aaaa \
    -e http.request.method -e http.host -e http.request.uri -e http.user_agent -e http.response.code \
    -e tls.handshake.extensions_server_name -e tls.handshake.ja3 -e tls.handshake.ja3s
fi
# the flow tools, when installed (PEERS=0 skips them): each turns the
# capture into flow records, as the flows table does. Debian: nfdump
# (nfpcapd), argus-server (argus), softflowd (it exports NetFlow over UDP to
# a collector that need not be there), zeek if the distribution has it
# (conn.log only: the other analyzers off).
if [ "${PEERS:-1}" = 1 ]; then
  mkdir -p "$dst/nf" "$dst/zeek" # not o.*: kept between runs (the files are named by time)
  command -v nfpcapd >/dev/null && add nfpcapd nfpcapd -r "$cap" -w "$dst/nf"
  command -v argus >/dev/null && add argus argus -r "$cap" -w "$dst/o.argus"
  command -v softflowd >/dev/null && add softflowd softflowd -r "$cap" -n 127.0.0.1:9995
  command -v zeek >/dev/null && add zeek zeek -b -r "$cap" base/protocols/conn "Log::default_logdir=$dst/zeek"
fi
: > "$out/raw.txt"
cat "$cap" > /dev/null # page cache
for round in $(seq "$RUNS"); do
  echo "round $round of $RUNS" >&2
  for i in "${!names[@]}"; do
    # shellcheck disable=SC2086 # commands are plain words
    once "${names[$i]}" ${cmds[$i]}
  done
done
if [ "${RSS10M:-0}" = 1 ]; then
  big=$out/bench-10000000-snap128.pcap
  [ -f "$big" ] || go run ./bench/gen -n 10000000 -snaplen 128 -o "$big"
  once parquet-10M-all-columns "$out/pcap2table" -q "$big" -o "$dst/o.10m.parquet"
fi
if [ "${FLOWS1M:-0}" = 1 ]; then
  # 20 M flows of which 1/20 are live at a time: about 955 k concurrent
  many=$out/flows1m.pcap
  [ -f "$many" ] || go run ./bench/gen -n 3000000 -flows 20000000 -o "$many"
  once flows-1M-concurrent "$out/pcap2table" -q "$many" --tables flows -o "$dst/o.f1m.parquet"
  once packets+flows-1M-concurrent "$out/pcap2table" -q "$many" --tables packets,flows -o "$dst/o.pf1m/"
fi
if [ "${MEM10X:-0}" = 1 ]; then
  # issue 25: peak memory of every table as the capture grows 10x (the
  # same generator, snap length 128 so that 10 M packets fit on disk)
  for n in 1000000 10000000; do
    f=$out/bench-$n-snap128.pcap
    [ -f "$f" ] || go run ./bench/gen -n "$n" -snaplen 128 -o "$f"
    once "all-tables-$((n / 1000000))M" "$out/pcap2table" -q "$f" --tables packets,flows,dns,http,tls,beacons -o "$dst/o.m$n"
  done
fi
# median seconds, max RSS (MiB) and median CPU seconds per name, in
# first-seen order
awk 'function med(arr, c,   a, b, s, v) { for (a = 1; a <= c; a++) v[a] = arr[a]
    for (a = 1; a <= c; a++) for (b = a + 1; b <= c; b++) if (v[b] < v[a]) { s = v[a]; v[a] = v[b]; v[b] = s }
    return v[int((c + 1) / 2)] }
  { if (!($1 in n)) order[++k] = $1; i = ++n[$1]; t[$1, i] = $2; u[$1, i] = $4; if ($3 > m[$1]) m[$1] = $3 }
  END { for (i = 1; i <= k; i++) { x = order[i]; c = n[x]
    for (a = 1; a <= c; a++) { tw[a] = t[x, a]; tc[a] = u[x, a] }
    printf "%s %s %d %s\n", x, med(tw, c), m[x] / 1024, med(tc, c) } }' "$out/raw.txt" > "$out/results.txt"
rm -rf "$dst"
floor=$(awk '$1=="floor"{print $2}' "$out/results.txt")
floorcpu=$(awk '$1=="floor"{print $4}' "$out/results.txt")
tshark=$(awk '$1=="tshark"{print $2}' "$out/results.txt")
echo "outputs on: $dst ($(stat -f -c %T "$(dirname "$dst")" 2>/dev/null || echo ?))"
echo "capture: $N packets, $(($(stat -c %s "$cap") / 1048576)) MiB; go $(go env GOVERSION); $(nproc) cores"
printf '%-26s %8s %10s %8s %10s %12s %9s\n' run seconds "x floor" "CPU s" "CPU x fl" "x faster" "RSS MiB"
while read -r name t m c; do
  r=- rc=-
  [ -n "$floor" ] && r=$(awk -v a="$t" -v b="$floor" 'BEGIN{printf "%.2f", a/b}')
  [ -n "$floorcpu" ] && rc=$(awk -v a="$c" -v b="$floorcpu" 'BEGIN{if (b > 0) printf "%.2f", a/b; else print "-"}')
  s=""
  [ -n "$tshark" ] && s=$(awk -v a="$t" -v b="$tshark" 'BEGIN{printf "%.0f", b/a}')
  printf '%-26s %8s %10s %8s %10s %12s %9s\n' "$name" "$t" "$r" "$c" "$rc" "$s" "$m"
done < "$out/results.txt"
# the issue-3 targets, as ratios of medians from the same rounds
res() { awk -v n="$1" '$1==n{print $2}' "$out/results.txt"; }
if [ -n "$(res tshark-conv)" ] && [ -n "$(res flows)" ]; then
  awk -v a="$(res flows)" -v b="$(res tshark-conv)" 'BEGIN{printf "flows alone vs tshark -z conv,tcp -z conv,udp: %.1fx faster (target >= 50x)\n", b/a}'
fi
if [ -n "$(res tshark-proto)" ] && [ -n "$(res all-tables)" ]; then
  awk -v a="$(res all-tables)" -v b="$(res tshark-proto)" -v n="$N" 'BEGIN{printf "all tables: %.2f M packets/s (target >= 1), %.1fx faster than tshark -T fields with the dns/http/tls fields (target >= 25x)\n", n/a/1e6, b/a}'
  awk -v a="$(res protocols)" -v b="$(res tshark-proto)" -v n="$N" 'BEGIN{printf "protocol tables (flows,dns,http,tls,beacons): %.2f M packets/s, %.1fx faster than tshark\n", n/a/1e6, b/a}'
fi
if [ -n "$(res all-tables-j1)" ] && [ -n "$(res all-tables)" ]; then
  awk -v a="$(res all-tables)" -v b="$(res all-tables-j1)" -v c="$(nproc)" 'BEGIN{printf "all tables, -j %d vs -j 1: %.2fx (was 1.8x before -j 1 got 21%% faster, LockOSThread: see BENCHMARKS.md)\n", c, b/a}'
fi
# issue 25's goals, as ratios from the same rounds
for peer in nfpcapd argus softflowd zeek; do
  if [ -n "$(res "$peer")" ] && [ -n "$(res flows)" ]; then
    awk -v a="$(res flows)" -v b="$(res "$peer")" -v p="$peer" 'BEGIN{printf "flows alone vs %s: %.1fx faster (target: nfpcapd >= 5x, argus >= 10x, zeek)\n", p, b/a}'
  fi
done
cpu() { awk -v n="$1" '$1==n{print $4}' "$out/results.txt"; }
rss() { awk -v n="$1" '$1==n{print $3}' "$out/results.txt"; }
if [ -n "$(res parquet-all-columns)" ] && [ -n "$floor" ]; then
  awk -v a="$(res parquet-all-columns)" -v f="$floor" -v n="$N" -v c="$(cpu parquet-all-columns)" -v fc="$floorcpu" \
    'BEGIN{printf "default Parquet: %.2f M packets/s (target >= 3), %.2fx the floor (target <= 1.8), %.2fx its CPU time (target <= 2.5)\n", n/a/1e6, a/f, c/fc}'
  for fm in csv jsonl; do
    [ -n "$(res $fm-all-columns)" ] && awk -v a="$(res $fm-all-columns)" -v f="$floor" -v m=$fm 'BEGIN{printf "%s, all columns: %.2fx the floor (target <= 1.5)\n", m, a/f}'
  done
fi
if [ -n "$(res packets+flows)" ] && [ -n "$(res parquet-all-columns)" ]; then
  awk -v a="$(res packets+flows)" -v b="$(res parquet-all-columns)" 'BEGIN{printf "packets+flows / packets alone (Parquet, all columns): %.2f (target <= 1.5)\n", a/b}'
fi
if [ -n "$(res all-tables)" ]; then
  awk -v a="$(res all-tables)" -v n="$N" -v m="$(rss all-tables)" 'BEGIN{printf "every table at once: %.2f M packets/s (target >= 2), peak RSS %d MiB (target <= 150)\n", n/a/1e6, m}'
fi
if [ -n "$(rss all-tables-10M)" ]; then
  awk -v a="$(rss all-tables-1M)" -v b="$(rss all-tables-10M)" 'BEGIN{printf "every table, 10x the packets: peak RSS %d -> %d MiB, %.2fx (target < 1.2)\n", a, b, b/a}'
fi
for w in all-tables parquet; do
  [ -n "$(res "$w-cores1")" ] || continue
  for ((k = 2; k <= $(nproc); k *= 2)); do
    [ -n "$(res "$w-cores$k")" ] && awk -v a="$(res "$w-cores1")" -v b="$(res "$w-cores$k")" -v k="$k" -v w="$w" \
      'BEGIN{printf "scaling, %s: %d cores %.2fx one core, efficiency %.0f%% (target >= 80%%)\n", w, k, a/b, 100*a/b/k}'
  done
done
for w in csv-all-columns jsonl-all-columns parquet-all-columns flows all-tables; do
  [ -n "$(res "$w@base")" ] && [ -n "$(res "$w")" ] && awk -v a="$(res "$w")" -v b="$(res "$w@base")" -v c="$(cpu "$w")" -v d="$(cpu "$w@base")" -v w="$w" \
    'BEGIN{printf "%s against BASE: %.2fx its wall time, %.2fx its CPU time\n", w, a/b, c/d}'
done
