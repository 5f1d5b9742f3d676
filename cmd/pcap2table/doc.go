// Command pcap2table converts packet captures into analysis tables:
// Parquet, Arrow IPC (file or stream), CSV or JSONL, one row per packet.
//
//	pcap2table dump.pcap -o out.parquet
//	pcap2table dump.pcapng | jq -c 'select(.dst_port == 53)'
//	tcpdump -w - | pcap2table - -o live.arrows
//	pcap2table schema packets
//	pcap2table stats dump.pcap
//
// Exit codes: 0 ok, 1 error, 2 usage, 3 partial input (a capture was cut
// short or corrupt; everything before the damage was converted), 130
// interrupted (outputs are valid and hold what was converted). main is
// os.Exit(Main(args)); the commands are in cli.go.
package main
