package flows

import (
	"time"
)

// Config sets the timeouts (in capture time), the Community ID seed and
// the reassembly bounds.
type Config struct {
	TCPIdle    time.Duration // a TCP flow without packets for this long ends (idle)
	UDPIdle    time.Duration // the same for UDP, ICMP and other protocols
	Active     time.Duration // a flow older than this ends (active) and a new one continues it; 0: never
	CloseDelay time.Duration // a TCP flow closed by FIN or RST is kept this long for late packets
	// Interim makes a flow that lasts longer than this write an interim
	// row every Interim of capture time while it goes on (end_reason
	// "interim": its counts so far, IPFIX's active timeout without ending
	// the flow); its final row comes at its end as always. 0: none.
	Interim time.Duration
	// AttemptTimeout ends a TCP flow that began with a SYN and got no
	// answer this long after it (Zeek's tcp_attempt_delay); a SYN sent
	// again later starts a new flow. 0: such flows wait for TCPIdle.
	AttemptTimeout time.Duration
	Seed           uint16 // Community ID seed

	// ReassemblyWait is how long (capture time) an acknowledged hole in a
	// TCP stream waits for its bytes before they are declared missing.
	ReassemblyWait time.Duration
	// ReassemblyFlowCap bounds the out-of-order bytes waiting behind holes
	// in one flow, and ReassemblyCap those of all flows together.
	ReassemblyFlowCap, ReassemblyCap int64
	// FragTimeout is how long (capture time) an IP datagram waits for its
	// fragments, and FragCap bounds the memory of all waiting datagrams
	// (their data and bookkeeping); 65536 datagrams is a bound too.
	FragTimeout time.Duration
	FragCap     int64
	// MaxFlows bounds the flows live at once (0: no bound). At the bound a
	// new flow first ends the least recently active one: a flow closed by
	// FIN or RST and kept for late packets if there is one (with its own
	// end_reason), else with end_reason "evicted". Memory is about 1.2 KiB
	// per live flow, so the bound is the tracker's memory bound.
	MaxFlows int
	// VerifyChecksums checks TCP and UDP checksums: a bad one adds 'c' to
	// the history (the packet still counts). Off by default: captures
	// taken on a sending host hold offloaded, wrong checksums.
	VerifyChecksums bool
	// Enrich, if not nil, looks up both ends of each flow (once, when its
	// row is made) for the flows table's src_country, dst_country,
	// src_asn, dst_asn, src_as_org and dst_as_org (Row.SrcGeo,
	// Row.DstGeo); nil leaves them null. Package enrich opens MaxMind
	// databases as one.
	Enrich Enricher
}

// DefaultConfig is Zeek's defaults: TCP idle 5 min, UDP/ICMP idle 1 min,
// close delay 5 s, an unanswered SYN's attempt 5 s, and an active timeout
// of 30 min; holes wait 100 ms,
// and 1 MiB per flow and 64 MiB in all may wait behind them; fragments
// wait 30 s (Linux's ipfrag_time), 16 MiB in all; at most DefaultMaxFlows
// flows live at once.
func DefaultConfig() Config {
	return Config{TCPIdle: 5 * time.Minute, UDPIdle: time.Minute, Active: 30 * time.Minute, CloseDelay: 5 * time.Second, AttemptTimeout: 5 * time.Second,
		ReassemblyWait: 100 * time.Millisecond, ReassemblyFlowCap: 1 << 20, ReassemblyCap: 64 << 20,
		FragTimeout: 30 * time.Second, FragCap: 16 << 20, MaxFlows: DefaultMaxFlows}
}

// DefaultMaxFlows is the default bound on live flows: 1 Mi flows, about
// 1.3 GiB with the writers' buffers (a SYN flood cannot grow it further).
const DefaultMaxFlows = 1 << 20
