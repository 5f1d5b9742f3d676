#!/usr/bin/env bash
# tshark 4.0.17's verdict on the TCP and UDP checksums of every packet of
# the captures in testdata/captures: testdata/captures/ref-checksum/NAME.tsv
# with frame.number, tcp.checksum.status, udp.checksum.status (0 bad, 1 good,
# 2 not verified; empty: no such header), the innermost header's.
# usage: testdata/make-checksum-refs.sh   (from the repository root; needs tshark)
set -eu
dir=testdata/captures
out=$dir/ref-checksum
mkdir -p "$out"
for f in "$dir"/*; do
  [ -f "$f" ] || continue
  n=$(basename "$f")
  case $n in MANIFEST.tsv|README.md|NOTICE*) continue;; esac
  tshark -n -r "$f" -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE \
    -T fields -E header=y -E separator=/t -E occurrence=l -E quote=n \
    -e frame.number -e tcp.checksum.status -e udp.checksum.status > "$out/$n.tsv" 2>/dev/null || true
  # keep only captures with a TCP or UDP checksum verdict
  awk -F'\t' 'NR>1 && ($2!="" || $3!="") {found=1} END{exit !found}' "$out/$n.tsv" || rm -f "$out/$n.tsv"
done
ls "$out"
