#!/usr/bin/env bash
# tshark 4.0.17's views of the captures in testdata/captures that the shared
# refs (captures/ref/, from make-refs.sh) do not hold, in three folders:
#
#   ref-nodefrag/NAME.packets.tsv  captures with IP fragments: the fields of
#       the shared NAME.packets.tsv (its header line), plus ipv6.fraghdr.nxt,
#       with IPv4/IPv6 reassembly off, so each fragment shows as captured
#       (the transport header on the first fragment only), as the packets
#       table reports it;
#   ref-follow/NAME.follow.tsv  captures with TCP payload: a line per TCP
#       stream (at most 200) and direction: stream, sender (ip:port),
#       receiver, bytes, sha256 of the bytes of "Follow TCP Stream" (raw);
#   ref-checksum/NAME.tsv  captures with TCP or UDP: frame.number,
#       tcp.checksum.status, udp.checksum.status (0 bad, 1 good, 2 not
#       verified; the innermost header's), checksum checks on.
#
# usage: testdata/make-local-refs.sh   (from the repository root; needs tshark and xxd)
set -eu
dir=testdata/captures
mkdir -p "$dir/ref-nodefrag" "$dir/ref-follow" "$dir/ref-checksum"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

nodefrag() { # $1 capture, $2 name
  local ref=$dir/ref/$2.packets.tsv fields
  # only captures with fragments (an IPv6 fragment header, or IPv4 MF/offset)
  awk -F'\t' 'NR==1{for(i=1;i<=NF;i++)h[$i]=i;next} $h["frame.protocols"]~/fraghdr/ || ($h["ip.frag_offset"]!="" && $h["ip.frag_offset"]!="0") || $h["ip.flags.mf"]=="1" {found=1} END{exit !found}' \
    "$ref" || return 0
  fields=$(head -1 "$ref" | tr '\t' '\n' | sed 's/^/-e /' | tr '\n' ' ')
  # shellcheck disable=SC2086 # one word per field
  tshark -n --enable-protocol communityid -o ip.defragment:FALSE -o ipv6.defragment:FALSE -r "$1" \
    -T fields -E header=y -E separator=/t -E occurrence=l -E quote=n $fields -e ipv6.fraghdr.nxt \
    > "$dir/ref-nodefrag/$2.packets.tsv" 2>/dev/null
}

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

follow() { # $1 capture, $2 name
  local streams args=()
  streams=$(tshark -n -r "$1" -Y 'tcp.len > 0' -T fields -e tcp.stream 2>/dev/null | sort -nu | head -200) || true
  [ -n "$streams" ] || return 0
  for s in $streams; do args+=(-z "follow,tcp,raw,$s"); done
  tshark -n -r "$1" -q "${args[@]}" 2>/dev/null | summarize > "$dir/ref-follow/$2.follow.tsv" || true
}

checksum() { # $1 capture, $2 name
  local out=$dir/ref-checksum/$2.tsv
  tshark -n -r "$1" -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE \
    -T fields -E header=y -E separator=/t -E occurrence=l -E quote=n \
    -e frame.number -e tcp.checksum.status -e udp.checksum.status > "$out" 2>/dev/null || true
  # keep only captures with a TCP or UDP checksum verdict
  awk -F'\t' 'NR>1 && ($2!="" || $3!="") {found=1} END{exit !found}' "$out" || rm -f "$out"
}

for f in "$dir"/*; do
  [ -f "$f" ] || continue
  n=$(basename "$f")
  case $n in MANIFEST.tsv|README.md|NOTICE*) continue;; esac
  nodefrag "$f" "$n"
  follow "$f" "$n"
  checksum "$f" "$n"
done
