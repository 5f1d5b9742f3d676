package pcap2table_test

import (
	"os"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// pcapFile is a classic pcap file's packets, read or to write with
// gopacket's pcapgo (an independent reader and writer for the tests).
type pcapFile struct {
	snaplen  uint32
	linkType layers.LinkType
	data     [][]byte
	info     []gopacket.CaptureInfo
}

// readPcap reads every packet of a pcap file.
func readPcap(t *testing.T, path string) *pcapFile {
	t.Helper()
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	r, err := pcapgo.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	p := &pcapFile{snaplen: r.Snaplen(), linkType: r.LinkType()}
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			return p
		}
		p.data, p.info = append(p.data, data), append(p.info, ci)
	}
}

// write writes packets [lo, hi) to path, with the snap length raised by
// extra (for packets made longer).
func (p *pcapFile) write(t *testing.T, path string, lo, hi int, extra uint32) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(p.snaplen+extra, p.linkType); err != nil {
		t.Fatal(err)
	}
	for i := lo; i < hi; i++ {
		if err := w.WritePacket(p.info[i], p.data[i]); err != nil {
			t.Fatal(err)
		}
	}
}

// subset is the packets i of p for which keep(i) holds.
func (p *pcapFile) subset(keep func(i int) bool) *pcapFile {
	q := &pcapFile{snaplen: p.snaplen, linkType: p.linkType}
	for i := range p.data {
		if keep(i) {
			q.data, q.info = append(q.data, p.data[i]), append(q.info, p.info[i])
		}
	}
	return q
}
