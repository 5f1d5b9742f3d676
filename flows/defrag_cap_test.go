package flows

import (
	"encoding/binary"
	"fmt"
	"testing"
	"unsafe"

	"github.com/gopacket/gopacket/layers"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/parsers/capture"
)

// firstFragment is an Ethernet frame holding the first fragment (more to
// come) of UDP datagram id from host, with size bytes of IP payload.
func firstFragment(host, id, size int) []byte {
	b := make([]byte, 14+20+size)
	binary.BigEndian.PutUint16(b[12:], 0x0800)
	ip := b[14:]
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+size))
	binary.BigEndian.PutUint16(ip[4:], uint16(id))
	binary.BigEndian.PutUint16(ip[6:], 0x2000)
	ip[8], ip[9] = 64, 17
	copy(ip[12:], []byte{10, byte(host >> 16), byte(host >> 8), byte(host)})
	copy(ip[16:], []byte{192, 0, 2, 1})
	binary.BigEndian.PutUint16(ip[20:], 4000)
	binary.BigEndian.PutUint16(ip[22:], 53)
	binary.BigEndian.PutUint16(ip[24:], uint16(8+2*size)) // a datagram twice as long
	return b
}

// TestFragCap: datagrams that never complete hold at most FragCap bytes
// of memory, their bookkeeping counted (datagramCost), and at most
// maxDatagrams datagrams, whichever binds first; those given up past a
// bound are counted as incomplete, and every first fragment still counts
// as a packet of its flow.
func TestFragCap(t *testing.T) {
	tests := []struct {
		cap   int64
		size  int // IP payload bytes per fragment
		n     int // first fragments, each of a datagram of its own
		binds string
	}{
		{1 << 20, 1480, 5000, "bytes"},
		{1 << 20, 8, 50000, "bytes"},     // bookkeeping, not the 8 bytes, fills the cap
		{1 << 40, 8, 70000, "datagrams"}, // no byte cap: the count binds
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("cap=%d/size=%d", tt.cap, tt.size), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.FragCap = tt.cap
			tr := NewTracker(cfg, 1)
			defer tr.Stop()
			var pkts uint64
			tr.Subscribe(countPkts{&pkts})
			var dec parsers.Decoder
			rows := make([]parsers.PacketRow, 1000)
			peakBytes, peakDatagrams := 0, 0
			for lo := 0; lo < tt.n; lo += len(rows) {
				batch := rows[:min(len(rows), tt.n-lo)]
				for i := range batch {
					k := lo + i
					data := firstFragment(k>>16, k&0xffff, tt.size)
					p := capture.Packet{Data: data, Timestamp: 1e18 + int64(k), CapLen: uint32(len(data)),
						Length: uint32(len(data)), LinkType: layers.LinkTypeEthernet, Frame: uint64(k + 1)}
					dec.Decode(&p, &batch[i])
				}
				tr.Observe(batch)
				d := &tr.ws[0].defrag
				peakBytes, peakDatagrams = max(peakBytes, d.bytes), max(peakDatagrams, len(d.m))
			}
			t.Logf("peak %d bytes, %d datagrams", peakBytes, peakDatagrams)
			// one datagram may grow past the cap before the next one
			// finds it full
			if limit := int(tt.cap) + datagramCost + maxDatagramLen; peakBytes > limit {
				t.Errorf("waiting datagrams held %d bytes, the cap is %d", peakBytes, tt.cap)
			}
			// each waiting datagram holds at least its struct: a cap that
			// counted only the data would let far more of them wait
			if most := int(tt.cap/int64(unsafe.Sizeof(datagram{}))) + 1; peakDatagrams > most {
				t.Errorf("%d datagrams waiting: their structs alone are past the cap (at most %d fit)", peakDatagrams, most)
			}
			if peakDatagrams > maxDatagrams {
				t.Errorf("%d datagrams waiting, at most %d", peakDatagrams, maxDatagrams)
			}
			c := tr.Counters()
			held := uint64(len(tr.ws[0].defrag.m))
			if c.Incomplete+held != uint64(tt.n) || c.Incomplete == 0 {
				t.Errorf("%d given up + %d waiting, want %d in all, some given up", c.Incomplete, held, tt.n)
			}
			switch tt.binds {
			case "bytes":
				if peakDatagrams >= maxDatagrams || peakBytes < int(tt.cap)/2 {
					t.Errorf("the byte cap did not bind: %d datagrams, %d bytes", peakDatagrams, peakBytes)
				}
			case "datagrams":
				if peakDatagrams != maxDatagrams {
					t.Errorf("the count did not bind: at most %d datagrams waiting", peakDatagrams)
				}
			}
			tr.Close()
			if c := tr.Counters(); c.Incomplete != uint64(tt.n) {
				t.Errorf("at the end %d datagrams given up incomplete, want %d", c.Incomplete, tt.n)
			}
			if pkts != uint64(tt.n) {
				t.Errorf("flows count %d packets, want %d first fragments", pkts, tt.n)
			}
		})
	}
}

// countPkts counts the packets of the flows that end.
type countPkts struct{ n *uint64 }

func (c countPkts) Flow(r *Row) { *c.n += r.Orig.Pkts + r.Resp.Pkts }
func (countPkts) Finish()       {}
