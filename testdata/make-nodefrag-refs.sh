#!/usr/bin/env bash
# tshark 4.0.17's per-packet view of the captures that hold IP fragments,
# with IPv4/IPv6 reassembly turned off, so that each fragment is shown as
# captured (the transport header on the first fragment only), which is what
# the packets table reports. The fields of ref/NAME.packets.tsv (from
# ../shared/captures/make-refs.sh) plus ipv6.fraghdr.nxt. Output: testdata/captures/ref-nodefrag/NAME.packets.tsv
# usage: testdata/make-nodefrag-refs.sh   (from the repository root; needs tshark)
set -eu
dir=testdata/captures
out=$dir/ref-nodefrag
mkdir -p "$out"
for f in "$dir"/*; do
  [ -f "$f" ] || continue
  n=$(basename "$f")
  case $n in MANIFEST.tsv|README.md|NOTICE*) continue;; esac
  # only captures with fragments (an IPv6 fragment header, or IPv4 MF/offset)
  awk -F'\t' 'NR==1{for(i=1;i<=NF;i++)h[$i]=i;next} $h["frame.protocols"]~/fraghdr/ || ($h["ip.frag_offset"]!="" && $h["ip.frag_offset"]!="0") || $h["ip.flags.mf"]=="1" {found=1} END{exit !found}' \
    "$dir/ref/$n.packets.tsv" || continue
  # the fields of the shared reference (its header line), plus one
  fields=$(head -1 "$dir/ref/$n.packets.tsv" | tr '\t' '\n' | sed 's/^/-e /' | tr '\n' ' ')
  # shellcheck disable=SC2086 # one word per field
  tshark -n --enable-protocol communityid -o ip.defragment:FALSE -o ipv6.defragment:FALSE -r "$f" \
    -T fields -E header=y -E separator=/t -E occurrence=l -E quote=n $fields -e ipv6.fraghdr.nxt \
    > "$out/$n.packets.tsv" 2>/dev/null
done
ls "$out"
