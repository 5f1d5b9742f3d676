#!/usr/bin/env bash
# Converts real captures to every format and reads them back with real
# consumers: jq (every JSONL line), DuckDB, polars and Arrow JS (check.mjs).
# Needs: go, jq, node, and `npm ci` done in test/consumers.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -o "$out/pcap2table" ./cmd/pcap2table
C=testdata/captures
declare -A inputs=(
  [example]="$C/pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap"
  [wireshark]="$C/pcap-parser--assets--wireshark_samples-test.pcapng"
  [nano]="$C/pcapplusplus--Tests--Pcap__Test--PcapExamples--nanosecs_big_endian.pcap $C/tcpdump--tests--tcp-handshake-nano.pcap"
  [multi]="$C/pcapplusplus--Tests--Pcap__Test--PcapExamples--many_interfaces-1.pcapng $C/zeek--testing--btest--Traces--pcapng-multi-interface.pcapng $C/pcapng-test-generator--output_be--advanced--test100.pcapng"
  [tunnels]="$C/tcpdump--tests--vxlan.pcap $C/arkime--tests--pcap--6-4-gre-ppp-udp-4-dns.pcap $C/zeek--testing--btest--Traces--http-qinq-0.pcap $C/zeek--testing--btest--Traces--mpls-in-vlan.pcap $C/tcpdump--tests--pptp.pcap"
)
names=()
for name in "${!inputs[@]}"; do
  # shellcheck disable=SC2086
  set -- ${inputs[$name]}
  b="$out/$name"
  "$out/pcap2table" -q "$@" -o "$b.parquet"
  "$out/pcap2table" -q "$@" -o "$b.arrow"
  "$out/pcap2table" -q "$@" -o "$b.arrows"
  "$out/pcap2table" -q "$@" -o "$b.csv" --time-format epoch_ns
  "$out/pcap2table" -q "$@" -o "$b.jsonl"
  "$out/pcap2table" -q "$@" --columns ts --time-format epoch_ns > "$b.ns.jsonl"
  wc -l < "$b.jsonl" | tr -d ' ' > "$b.count"
  # every JSONL line parses with jq, and there is one per packet
  lines=$(jq -c 'select(.frame >= 1)' "$b.jsonl" | wc -l)
  [ "$lines" = "$(cat "$b.count")" ] || { echo "FAIL $name: jq parsed $lines of $(cat "$b.count") lines"; exit 1; }
  names+=("$name")
done
# the packet counts are the inputs' packet counts (capinfos via the shared refs)
[ "$(cat "$out/example.count")" = 4631 ] || { echo "FAIL example: $(cat "$out/example.count") rows, want 4631"; exit 1; }
[ "$(cat "$out/wireshark.count")" = 5898 ] || { echo "FAIL wireshark: $(cat "$out/wireshark.count") rows, want 5898"; exit 1; }
# SIGINT mid-way through an endless stdin stream: exit 130, and DuckDB
# reads the Parquet file that is left.
src=$C/pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap
{ head -c 24 "$src"; while tail -c +25 "$src"; do :; done; } 2>/dev/null | "$out/pcap2table" -q - -o "$out/interrupted.parquet" &
pid=$(jobs -p | tail -1)
sleep 2
pkill -INT -f "$out/pcap2table -q - -o" || true
rc=0; wait "$pid" || rc=$?
[ "$rc" = 130 ] || { echo "FAIL interrupted run exited $rc, want 130"; exit 1; }
# the flows table, written with the packets table in one pass
for name in example tunnels; do
  # shellcheck disable=SC2086
  set -- ${inputs[$name]}
  "$out/pcap2table" -q "$@" --tables packets,flows -o "$out/$name-t"
  for f in csv arrow jsonl; do "$out/pcap2table" -q "$@" --tables flows -o "$out/$name-t/flows.$f"; done
  jq -e 'select(.flow_id > 0)' "$out/$name-t/flows.jsonl" > /dev/null || { echo "FAIL $name: flows.jsonl"; exit 1; }
done
node test/consumers/flows.mjs "$out" example-t tunnels-t
# the dns table (list columns), with flows for the join
for name in example wireshark; do
  # shellcheck disable=SC2086
  set -- ${inputs[$name]}
  "$out/pcap2table" -q "$@" --tables flows,dns -o "$out/$name-d"
  for f in csv arrow jsonl; do "$out/pcap2table" -q "$@" --tables dns -o "$out/$name-d/dns.$f"; done
done
node test/consumers/dns.mjs "$out" example-d wireshark-d
# the http, tls and beacons tables, with flows for the joins
set -- "$C/pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap" "$C/pcapplusplus--Tests--Pcap__Test--PcapExamples--many_interfaces-1.pcapng"
"$out/pcap2table" -q "$@" --beacon-min-conns 3 --tables flows,http,tls,beacons -o "$out/proto"
for t in http tls beacons; do
  for f in csv arrow jsonl; do "$out/pcap2table" -q "$@" --beacon-min-conns 3 --tables "$t" -o "$out/proto/$t.$f"; done
done
node test/consumers/protocols.mjs "$out" proto
# the weird table: the decoder's (an unsupported link type), the flows'
# (a segment lost) and the http parser's anomalies
set -- "$C/tcpdump--tests--dsa.pcap" testdata/edited/http-lost-segment.pcap
"$out/pcap2table" -q "$@" --tables flows,weird -o "$out/weird"
for f in csv arrow jsonl; do "$out/pcap2table" -q "$@" --tables weird -o "$out/weird/weird.$f"; done
node test/consumers/weird.mjs "$out/weird"
set -- "$C/pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap" "$C/pcapplusplus--Tests--Pcap__Test--PcapExamples--many_interfaces-1.pcapng"
# ids survive every consumer: jq prints each flow_id digit for digit, the
# README's jq join finds every packet's flow, and DuckDB (CSV and JSON
# auto-detection), polars, Arrow JS and JSON.parse read Parquet's integers
for f in parquet csv jsonl arrow; do
  "$out/pcap2table" -q "$@" --tables packets,flows,dns,http,tls --format "$f" -o "$out/ids/$f/"
done
for t in packets flows dns http tls; do
  diff <(jq -r 'select(.flow_id) | .flow_id' "$out/ids/jsonl/$t.jsonl") \
       <(grep -o '"flow_id":[0-9]*' "$out/ids/jsonl/$t.jsonl" | cut -d: -f2) > /dev/null ||
    { echo "FAIL ids: jq changes the digits of $t.jsonl's flow_ids"; exit 1; }
done
joined=$(cd "$out/ids/jsonl" && jq -n --slurpfile flows flows.jsonl '
  INDEX($flows[]; .flow_id) as $by
  | inputs | select(.flow_id) | {ts, src_ip, dst_ip, service: $by[.flow_id|tostring].service, flow: $by[.flow_id|tostring]}' packets.jsonl |
  jq -s 'map(select(.flow != null)) | length')
want=$(jq -n '[inputs | select(.flow_id)] | length' "$out/ids/jsonl/packets.jsonl")
[ "$joined" = "$want" ] && [ "$want" -gt 0 ] || { echo "FAIL ids: the README's jq join found $joined of $want packets' flows"; exit 1; }
node test/consumers/ids.mjs "$out/ids"
# hive-partitioned datasets: real captures spanning 13 hours and 604 days
for spec in "ip6frag:hour:$C/pcapplusplus--Tests--Pcap__Test--PcapExamples--ip6_fragments.pcap" \
            "loopback:day:$C/pcapplusplus--Tests--Pcap__Test--PcapExamples--null_loopback.pcap"; do
  IFS=: read -r name by file <<< "$spec"
  "$out/pcap2table" -q "$file" --tables packets,flows --partition-by "$by" --max-file-rows 50 -o "$out/$name"
  "$out/pcap2table" -q "$file" --tables packets,flows -o "$out/$name-single"
done
node test/consumers/partitions.mjs "$out" ip6frag:hour loopback:day
# sharded conversion + docs/stitch.sql == the whole capture's flows
node test/consumers/stitch.mjs "$out/pcap2table" "$C/pcapplusplus--Tests--Pcap__Test--PcapExamples--example.pcap" "$out/stitch"
node test/consumers/check.mjs "$out" "${names[@]}"
node test/consumers/interrupted.mjs "$out/interrupted.parquet"
