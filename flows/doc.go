// Package flows turns the decoded packets of the packets table into
// flows: one row per conversation with Zeek conn.log semantics
// (conn_state, history, sizes from sequence numbers, missed bytes), a
// deterministic flow_id and the Community ID, both also written into each
// packet's row so that packets join their flow.
//
// A Tracker is fed every packet's row in capture order. The clock is the
// capture timestamp, never the wall clock: idle timeouts (TCP 5 min,
// UDP/ICMP/other 1 min), an active timeout (30 min) and the close delay
// after FIN or RST (5 s) are measured in capture time. A flow's row is
// produced when the flow ends, not at the end of the input, so memory is
// bounded by the live flows.
//
// Buffer ownership: Observe reads the row it is given and writes only its
// flow_id and community_id; it keeps no reference to it. The FlowRows
// returned by TakeEnded are valid until the next call to Observe, Close or
// TakeEnded.
//
// Protocol plugins (plugin.go; the dns, http, tls and beacons tables are
// flows/dns, flows/http, flows/tls and flows/beacons) register with
// Tracker.Register and see the packets, flow starts and ends and the
// reassembled TCP streams through the hooks they implement, on the
// goroutine that calls Observe; they write their own table's rows through
// an Output and name the flow's service. A plugin that is not registered
// costs nothing.
package flows
