// Package flows turns the decoded packets of the packets table into
// flows: one row per conversation with Zeek conn.log semantics
// (conn_state, history, sizes from sequence numbers, missed bytes), a
// deterministic flow_id and the Community ID, both also written into each
// packet's row so that packets join their flow.
//
// A Tracker is fed batches of packet rows in capture order (Observe). The
// clock is the capture timestamp, never the wall clock: idle timeouts (TCP
// 5 min, UDP/ICMP/other 1 min), an active timeout (30 min) and the close
// delay after FIN or RST (5 s) are measured in capture time. A flow's row
// is produced when the flow ends, not at the end of the input, so memory
// is bounded by the live flows. The Tracker runs one shard per job; its
// output is the same for any number (tracker.go).
//
// Consumers of the flows, which this package knows nothing of, attach in
// two ways. A Subscriber reads every ended flow's row, in order (the flows
// table, the beacons table). A protocol Plugin (plugin.go; the dns, http
// and tls tables in ../protocols) is made once per shard by
// Tracker.Register and sees the packets, flow starts and ends and the
// reassembled TCP streams through the hooks it implements; it writes its
// table's rows through an Output and names the flow's service. A plugin
// that is not registered costs nothing.
//
// Buffer ownership: Observe reads the rows it is given and writes only
// their flow_id and community_id; it keeps no reference to them, and the
// bytes they point to (Retain) are read during the call only. The Row
// given to a Subscriber, and everything given to a plugin's hook, are
// valid during the call only.
package flows
