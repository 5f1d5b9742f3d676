// Package pcapbeam converts packet captures to pcap2table's tables on an
// Apache Beam runner: Prism on one machine (in tests and by default),
// unchanged on Flink, Spark or Dataflow.
//
// The pipeline (Build) splits the conversion by flow, not by file, so
// that flows crossing rotated captures are joined as the single-process
// tool joins them:
//
//	inputs (globs, local or gs://) ──► Expand, on the launcher: the file list
//	   │
//	   ├─► answers: one worker per capture runs the dns parser over it and
//	   │   emits every DNS answer (time, name, address): small
//	   │
//	   ├─► parts 0 … P-1, spread over the workers (Reshuffle): each reads the
//	   │   captures in time order (the merge of pcap2table.Convert) and keeps
//	   │   the packets of its part of the flows (flows.PartOf: a hash of the
//	   │   Community ID tuple's addresses, protocol, VLAN and tunnel, which
//	   │   every fragment has), with every answer as a side input so that any
//	   │   flow is named as in one run; it writes its rows of every table as
//	   │   Parquet shards, Hive-partitioned by day or hour:
//	   │   OUTPUT/<table>/date=YYYY-MM-DD/part-PPPPP-NNNNN.parquet
//	   │
//	   └─► beacons (when asked): one worker per conversion reads its inputs
//	       whole, as a pair's statistics need all of its flows in order
//	   ▼
//	 OUTPUT/_SUCCESS: the rows of every table, written last
//
// No packet is shuffled: a part's worker reads the captures itself and
// decodes them to tell its packets from the others' (the others' times
// still drive its flow tracker's clock: pcap2table.Options.Parts). The
// rows of all parts together are those of one pcap2table run, order
// aside, for every table. With Config.BySensor each folder (a sensor's
// rotated captures) is a conversion of its own, under
// <table>/sensor=NAME/: its parts read that sensor's captures only.
// docs/scaling.md says how it scales and what it costs.
//
// Every DoFn is registered in init, as Beam's portable runners need.
package pcapbeam
