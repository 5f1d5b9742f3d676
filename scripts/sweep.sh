#!/usr/bin/env bash
# Corpus sweep: runs pcap2table with every table on every file of a folder
# (default ../shared/captures: real captures, many malformed on purpose,
# and a few files that are not captures), each under a time limit and a
# memory limit, and prints one line per file and one per outcome class:
#   converted   exit 0
#   partial     exit 3: the capture is cut short or corrupt (the reason
#               must name the file and a byte offset)
#   refused     exit 1: not a capture, or a capture format version it
#               cannot read (the reason names the file and offset)
#   FAILED      anything else: a panic, a timeout, the memory limit, or
#               another error
# Exits 1 if any file FAILED or a reason lacks the file or the offset.
#   scripts/sweep.sh [DIR]   TIMEOUT=60 MEM_MIB=1024 (peak RSS) scripts/sweep.sh
set -uo pipefail
cd "$(dirname "$0")/.."
dir=${1:-../shared/captures}
timeout_s=${TIMEOUT:-60}
mem_mib=${MEM_MIB:-1024}
if [ ! -x /usr/bin/time ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/pcap2table" ./cmd/pcap2table || exit 1
declare -A count=()
bad=0
for f in "$dir"/*; do
  [ -f "$f" ] || continue
  name=$(basename "$f")
  out="$work/out"
  rm -rf "$out"
  # virtual memory capped at 4x the RSS limit: a runaway allocation fails
  # (Go reserves address space lazily, far below this for a normal run)
  ( ulimit -v $((mem_mib * 4 * 1024)); exec /usr/bin/time -f "%M" -o "$work/rss" \
      timeout -s KILL "$timeout_s" "$work/pcap2table" -q "$f" --tables packets,flows,dns,http,tls,beacons,weird \
      --beacon-min-conns 2 -o "$out" ) >/dev/null 2>"$work/err"
  rc=$?
  rss=$(( $(tail -1 "$work/rss" 2>/dev/null | grep -E '^[0-9]+$' || echo 0) / 1024 ))
  reason=$(grep -v '^Command ' "$work/err" | head -1)
  class=FAILED
  case $rc in
    0) class=converted ;;
    3) class=partial ;;
    1) if grep -q "not a capture\|unsupported" "$work/err"; then class=refused; fi ;;
  esac
  if grep -q "^panic:\|fatal error:\|goroutine [0-9]* \[" "$work/err"; then class=FAILED reason="panic: $reason"; fi
  [ "$rc" = 137 ] && reason="timeout or killed after ${timeout_s}s"
  if [ "$rss" -gt "$mem_mib" ]; then class=FAILED reason="peak RSS ${rss} MiB > ${mem_mib} MiB"; fi
  if [ "$class" = partial ] && ! [[ "$reason" == *"$name"* && "$reason" == *offset* ]]; then
    class=FAILED reason="partial without file and offset: $reason"
  fi
  if [ "$class" = refused ] && ! [[ "$reason" == *"$name"* && "$reason" == *offset* ]]; then
    class=FAILED reason="refused without file and offset: $reason"
  fi
  [ "$class" = FAILED ] && bad=$((bad + 1))
  count[$class]=$(( ${count[$class]:-0} + 1 ))
  printf '%-10s %4d MiB  %s%s\n' "$class" "$rss" "$name" "${reason:+  ($reason)}"
done
echo "--"
for c in converted partial refused FAILED; do
  printf '%-10s %d\n' "$c" "${count[$c]:-0}"
done
[ "$bad" = 0 ]
