package flows_test

import (
	"slices"
	"testing"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
)

// The connections of these tests are edits of one real one: the HTTP
// download of dpkt's http.pcap from client port 3372 (frames 1 SYN, 2
// SYN-ACK, 3 ACK, 4 the request, 5 its ACK, 6-39 the response and its
// ACKs, 40 the server's FIN, 41 its ACK, 42 the client's FIN, 43 its
// ACK). Each case keeps some frames, in some order, and may change the
// flags or window of a frame, as editcap would drop packets and a hex
// editor change bits. Frames of the other connection in the capture are
// left out.
const (
	fin = 0x01
	syn = 0x02
	rst = 0x04
	psh = 0x08
	ack = 0x10
)

type frameEdit struct {
	frame uint64
	flags int // -1: keep
	win   int // -1: keep
}

// connCase builds a packet sequence from the frames of the connection.
type connCase struct {
	name    string
	frames  []uint64 // in this order; nil: all of the connection's
	drop    []uint64 // left out of frames
	edits   []frameEdit
	server  uint16   // if not 0: the server's port instead of 80
	corrupt []uint64 // frames whose segment gets a flipped bit (and checksums are verified)
	state   string
	history string
}

var connCases = []connCase{
	// conn_state, each of Zeek's 13 values
	{name: "SF", state: "SF", history: "ShADadfF"},
	{name: "S0 SYN only", frames: []uint64{1}, state: "S0", history: "S"},
	{name: "S1 no close", drop: r(40, 43), state: "S1", history: "ShADad"},
	{name: "REJ", frames: []uint64{1, 2}, edits: []frameEdit{{2, rst | ack, -1}}, state: "REJ", history: "Sr"},
	{name: "S2 responder FIN lost", drop: []uint64{40}, state: "S2", history: "ShADadF"},
	{name: "S3 originator FIN lost", drop: []uint64{42}, state: "S3", history: "ShADadf"},
	{name: "RSTO", drop: []uint64{43}, edits: []frameEdit{{42, rst | ack, -1}}, state: "RSTO", history: "ShADadfR"},
	{name: "RSTR", drop: r(41, 43), edits: []frameEdit{{40, rst | ack, -1}}, state: "RSTR", history: "ShADadr"},
	{name: "RSTOS0", frames: []uint64{1, 3}, edits: []frameEdit{{3, rst, -1}}, state: "RSTOS0", history: "SR"},
	{name: "RSTRH", frames: []uint64{2, 40}, edits: []frameEdit{{40, rst | ack, -1}}, state: "RSTRH", history: "^hr"},
	{name: "SH", frames: []uint64{1, 42}, state: "SH", history: "SF"},
	{name: "SHR", frames: []uint64{2, 40}, state: "SHR", history: "^hf"},
	{name: "OTH midstream", frames: r(5, 39), state: "OTH", history: "^adA"},

	// history letters not above: T t (retransmitted data), G g (content
	// gaps), W w (zero window), I (FIN+RST), Q q (other multi-flag
	// packets), s (a SYN from the responder), H (a SYN-ACK from the
	// originator), C c (a bad checksum, with --verify-checksums), and
	// letters repeated for a new sequence number. g and G come after the
	// bounded reassembly wait, so after letters of packets in the next
	// 100 ms.
	{name: "T client data twice", frames: slices.Concat(r(1, 4), []uint64{4}, r(5, 43)), state: "SF", history: "ShADTadfF"},
	{name: "t server data twice", frames: slices.Concat(r(1, 6), []uint64{6}, r(7, 43)), state: "SF", history: "ShADadtfF"},
	{name: "g server segment lost", drop: []uint64{10}, state: "SF", history: "ShADadgfF"},
	{name: "G client segment lost", drop: []uint64{4}, state: "SF", history: "ShAadGfF"},
	{name: "W client zero window", edits: []frameEdit{{3, -1, 0}}, state: "SF", history: "ShAWDadfF"},
	{name: "w server zero window", edits: []frameEdit{{5, -1, 0}}, state: "SF", history: "ShADawdfF"},
	{name: "I client FIN+RST", drop: []uint64{43}, edits: []frameEdit{{42, fin | rst | ack, -1}}, state: "RSTO", history: "ShADadfI"},
	{name: "Q client SYN+FIN", edits: []frameEdit{{42, syn | fin | ack, -1}}, state: "SF", history: "ShADadfQ"},
	{name: "q server SYN+FIN", edits: []frameEdit{{43, syn | fin | ack, -1}}, state: "SF", history: "ShADadfFq"},
	{name: "s responder SYN", frames: []uint64{1, 2}, edits: []frameEdit{{2, syn, -1}}, state: "S1", history: "Ss"},
	{name: "H originator SYN-ACK", frames: []uint64{2}, server: 50000, state: "OTH", history: "H"},
	// a SYN-ACK answered by an ACK is no scan's probe: the roles flip
	// (Zeek 5.1 on: its baseline core.conn-size-flip)
	{name: "SYN-ACK then ACK flips", frames: []uint64{2, 3}, server: 50000, state: "OTH", history: "^hA"},
	{name: "C client bad checksum", corrupt: []uint64{4}, state: "SF", history: "ShACDadfF"},
	{name: "c server bad checksum", corrupt: []uint64{6}, state: "SF", history: "ShADacdfF"},
	{name: "F repeated for a new sequence number", frames: r(1, 5), edits: []frameEdit{{3, fin | ack, -1}, {4, fin | psh | ack, -1}}, state: "S2", history: "ShFFa"},
}

// r is the frames lo..hi.
func r(lo, hi uint64) []uint64 {
	var out []uint64
	for f := lo; f <= hi; f++ {
		out = append(out, f)
	}
	return out
}

// TestConnStates runs each edit of the real connection and checks
// conn_state and history.
func TestConnStates(t *testing.T) {
	rows := decodeRows(t, httpCapture)
	byFrame := map[uint64]parsers.PacketRow{}
	var all []uint64
	for _, row := range rows {
		if row.SrcPort == 3372 || row.DstPort == 3372 {
			byFrame[row.Frame] = row
			all = append(all, row.Frame)
		}
	}
	if len(all) != 34 {
		t.Fatalf("%d frames in the connection, want 34", len(all))
	}
	states := map[string]bool{}
	for _, c := range connCases {
		t.Run(c.name, func(t *testing.T) {
			frames := c.frames
			if frames == nil {
				frames = all
			}
			var seq []parsers.PacketRow
			for _, fr := range frames {
				row, ok := byFrame[fr]
				if !ok || slices.Contains(c.drop, fr) {
					continue
				}
				for _, e := range c.edits {
					if e.frame == fr {
						if e.flags >= 0 {
							row.TCPFlags = uint16(e.flags)
						}
						if e.win >= 0 {
							row.TCPWin = uint16(e.win)
						}
					}
				}
				if slices.Contains(c.corrupt, fr) {
					row.L4 = slices.Clone(row.L4)
					row.L4[len(row.L4)-1] ^= 0x40
				}
				if c.server != 0 {
					if row.SrcPort == 80 {
						row.SrcPort = c.server
					} else {
						row.DstPort = c.server
					}
				}
				seq = append(seq, row)
			}
			cfg := flows.DefaultConfig()
			cfg.VerifyChecksums = c.corrupt != nil
			// the frames keep their capture times: SH's FIN comes 30 s
			// after its SYN, which the attempt timer (TestAttempt) would
			// have ended first
			cfg.AttemptTimeout = 0
			fl := feed(cfg, nil, seq)
			if len(fl) != 1 {
				t.Fatalf("%d flows, want 1", len(fl))
			}
			f := fl[0]
			if h := string(f.History[:f.HistoryLen]); f.ConnState != c.state || h != c.history {
				t.Errorf("conn_state %s history %q, want %s %q", f.ConnState, h, c.state, c.history)
			}
			states[f.ConnState] = true
		})
	}
	for _, s := range []string{"S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH"} {
		if !states[s] {
			t.Errorf("no case ends in %s", s)
		}
	}
}
