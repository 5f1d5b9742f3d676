#!/usr/bin/env bash
# tshark 4.0.17's reassembled TCP streams ("Follow TCP Stream", raw) of the
# captures in testdata/captures that hold TCP payload, summarized, one file
# per capture: testdata/captures/ref-follow/NAME.follow.tsv with a line per
# stream and direction: stream number, sender (ip:port), receiver, bytes,
# sha256 of the bytes. It is computed from
#   tshark -n -r CAPTURE -q -z follow,tcp,raw,N   for each tcp.stream N
# (at most 200 streams per capture) whose lines starting with a tab are bytes
# sent by "Node 1", the others by "Node 0".
# usage: testdata/make-follow-refs.sh   (from the repository root; needs tshark and xxd)
set -eu
dir=testdata/captures
out=$dir/ref-follow
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# summarize reads follow output and prints: stream, from, to, bytes, sha256
summarize() {
  awk -v tmp="$tmp" '
    /^Filter: tcp.stream eq / {s=$4; next}
    /^Node 0: / {n0=$3; next}
    /^Node 1: / {n1=$3; printf "" > (tmp "/" s ".0"); printf "" > (tmp "/" s ".1"); print s, n0, n1 > (tmp "/list"); next}
    /^=+$/ || /^Follow: / || /^$/ {next}
    /^\t/ {sub(/^\t/, ""); printf "%s", $0 > (tmp "/" s ".1"); next}
    {printf "%s", $0 > (tmp "/" s ".0")}
  '
  [ -f "$tmp/list" ] || return 0
  printf 'stream\tfrom\tto\tbytes\tsha256\n'
  while read -r s n0 n1; do
    for d in 0 1; do
      if [ $d = 0 ]; then from=$n0 to=$n1; else from=$n1 to=$n0; fi
      len=$(xxd -r -p "$tmp/$s.$d" | wc -c)
      sum=$(xxd -r -p "$tmp/$s.$d" | sha256sum | cut -d' ' -f1)
      printf '%s\t%s\t%s\t%s\t%s\n' "$s" "$from" "$to" "$len" "$sum"
    done
  done < "$tmp/list"
  rm -f "$tmp"/*
}
for f in "$dir"/*; do
  [ -f "$f" ] || continue
  n=$(basename "$f")
  case $n in MANIFEST.tsv|README.md|NOTICE*) continue;; esac
  streams=$(tshark -n -r "$f" -Y 'tcp.len > 0' -T fields -e tcp.stream 2>/dev/null | sort -nu | head -200) || true
  [ -n "$streams" ] || continue
  args=()
  for s in $streams; do args+=(-z "follow,tcp,raw,$s"); done
  tshark -n -r "$f" -q "${args[@]}" 2>/dev/null | summarize > "$out/$n.follow.tsv" || true
done
ls "$out"
