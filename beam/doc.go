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
//	   └─► parts 0 … P-1, spread over the workers (Reshuffle): each reads the
//	       captures in time order (the merge of pcap2table.Convert) and keeps
//	       the packets of its part of the flows (flows.PartOf: a hash of the
//	       Community ID tuple), with every answer as a side input so that any
//	       flow is named as in one run; it writes its rows of every table as
//	       Parquet shards, Hive-partitioned by day or hour:
//	       OUTPUT/<table>/date=YYYY-MM-DD/part-PPPPP-NNNNN.parquet
//	   ▼
//	 OUTPUT/_SUCCESS: the rows of every table, written last
//
// No packet is shuffled: a part's worker reads the captures itself and
// decodes only to tell its packets from the others' (the others' times
// still drive its flow tracker's clock: pcap2table.Options.Parts). The
// rows of all parts together are those of one pcap2table run, order
// aside, for every table but beacons (a pair's flows span the parts; see
// docs/scaling.md, which also says what the split costs).
//
// Every DoFn is registered in init, as Beam's portable runners need.
package pcapbeam
