#!/bin/sh
# Regenerates testdata/filter-refs/refs.tsv: which frames tcpdump's own
# filter (libpcap) selects, for every expression of
# testdata/filter-refs/expressions.txt on every capture of
# testdata/captures (split by link type) and on the synthetic captures
# testdata/filter-refs/synthetic-*.pcap. filter/refs_test.go then checks
# that package filter selects exactly the same frames.
#
# Needs tcpdump (apt-get install tcpdump), python3 and go. Run from
# anywhere: sh testdata/make-filter-refs.sh
#
# How frames are named: the Go test TestWriteRefCaptures (run with
# -filter-refs-out) reads each capture with the project's reader and
# writes one pcap per link type whose packet timestamps are the frame
# numbers (in the capture's own byte order, which libpcap takes for that
# of BSD loopback headers); tcpdump -w then keeps the matching packets,
# whose timestamps are their frame numbers. A capture or link type that
# tcpdump refuses to filter gets "!" and tcpdump's error in place of the
# frame list.
set -eu
cd "$(dirname "$0")/.."
command -v tcpdump >/dev/null || { echo "make-filter-refs.sh: needs tcpdump" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go test ./filter/ -run '^TestWriteRefCaptures$' -count=1 -args -filter-refs-out "$work" >/dev/null
cp testdata/filter-refs/synthetic-*.pcap "$work/"
tcpdump --version 2>&1 | head -2 >&2
python3 - "$work" testdata/filter-refs/expressions.txt testdata/filter-refs/refs.tsv <<'PY'
import os, struct, subprocess, sys

work, exprs_path, out_path = sys.argv[1:4]
exprs = [l.rstrip("\n") for l in open(exprs_path) if l.strip() and not l.startswith("#")]

def frames(pcap):
    """Timestamps (= frame numbers) of the packets of a pcap."""
    if len(pcap) < 24:
        return []
    magic = pcap[:4]
    order = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    out, off = [], 24
    while off + 16 <= len(pcap):
        sec, _, incl, _ = struct.unpack(order + "IIII", pcap[off:off + 16])
        out.append(sec)
        off += 16 + incl
    return out

def ranges(ns):
    ns, parts, i = sorted(ns), [], 0
    while i < len(ns):
        j = i
        while j + 1 < len(ns) and ns[j + 1] == ns[j] + 1:
            j += 1
        parts.append(str(ns[i]) if i == j else "%d-%d" % (ns[i], ns[j]))
        i = j + 1
    return ",".join(parts)

rows = []
for name in sorted(os.listdir(work)):
    if not name.endswith(".pcap"):
        continue
    if "@" in name:
        capture, lt = name[:-5].rsplit("@", 1)
    else:  # synthetic-LT.pcap
        capture, lt = name, name[len("synthetic-"):-5]
    path = os.path.join(work, name)
    probe = subprocess.run(["tcpdump", "-r", path, "-w", "/dev/null"], capture_output=True, text=True)
    if probe.returncode != 0:
        print("skipped %s: %s" % (name, probe.stderr.strip().splitlines()[-1]), file=sys.stderr)
        continue
    for e in exprs:
        p = subprocess.run(["tcpdump", "-r", path, "-w", "-", e], capture_output=True)
        if p.returncode != 0:
            msg = p.stderr.decode(errors="replace").strip().splitlines()[-1].replace("\t", " ")
            rows.append((e, capture, lt, "!" + msg))
            continue
        rows.append((e, capture, lt, ranges(frames(p.stdout))))
with open(out_path, "w") as f:
    f.write("expression\tcapture\tlinktype\tframes\n")
    for r in rows:
        f.write("\t".join(r) + "\n")
print("wrote %d references to %s" % (len(rows), out_path), file=sys.stderr)
PY
