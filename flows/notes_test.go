package flows_test

import (
	"slices"
	"testing"
	"time"

	"github.com/pcap2table/pcap2table/flows"
	"github.com/pcap2table/pcap2table/parsers"
	"github.com/pcap2table/pcap2table/table"
)

// noter notes every packet of a flow as an event (in reverse time order
// within a packet's batch would not matter: the row sorts them) and a
// fact of kind "k" each packet, replacing the last.
type noter struct{ calls int }

func (n *noter) Schema() *table.Schema { return testSchema }
func (n *noter) Packet(c *flows.Conn, _ flows.Dir, r *parsers.PacketRow) {
	n.calls++
	c.Note(flows.Note{TS: r.TS, Kind: "pkt", Bytes: uint64(r.IPLen)})
	c.Fact("k", string(rune('a'+n.calls%26)))
	c.Fact("first", "x")
}

// TestNotes: with KeepNotes a flow's row carries its notes in time order
// and its facts (the latest of a kind); past MaxNotes a sample of
// MaxNotes, the same with one shard and two; without KeepNotes none.
func TestNotes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		keep    bool
		packets int
		shards  int
	}{
		{"off", false, 10, 1},
		{"few", true, 10, 1},
		{"few two shards", true, 10, 2},
		{"sampled", true, flows.MaxNotes + 1000, 1},
		{"sampled two shards", true, flows.MaxNotes + 1000, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := flows.NewTracker(flows.DefaultConfig(), tc.shards)
			if tc.keep {
				tr.KeepNotes()
			}
			out := table.NewOutput(table.NewBatch(testSchema, 1), 1<<30, nil)
			if err := tr.Register(func(*flows.Output) flows.Plugin { return &noter{} }, out); err != nil {
				t.Fatal(err)
			}
			var rows []parsers.PacketRow
			for i := range tc.packets {
				rows = append(rows, udpRow(1, 1000, int64(i)*1e6))
				rows = append(rows, udpRow(2, 1000, int64(i)*1e6)) // a second flow
			}
			fl := feedTracker(tr, rows, 100)
			if len(fl) != 2 {
				t.Fatalf("%d flows, want 2", len(fl))
			}
			var samples [][]int64
			for _, r := range fl {
				if !tc.keep {
					if r.Notes != nil || r.Facts != nil || r.NotesSeen != 0 {
						t.Fatalf("notes kept without KeepNotes: %d", len(r.Notes))
					}
					continue
				}
				if r.NotesSeen != uint64(tc.packets) || len(r.Notes) != min(tc.packets, flows.MaxNotes) {
					t.Fatalf("%d notes of %d seen, want %d of %d", len(r.Notes), r.NotesSeen, min(tc.packets, flows.MaxNotes), tc.packets)
				}
				ts := make([]int64, len(r.Notes))
				for i, n := range r.Notes {
					ts[i] = n.TS
				}
				if !slices.IsSorted(ts) {
					t.Fatal("notes not in time order")
				}
				if tc.packets > flows.MaxNotes && ts[len(ts)-1] < int64(flows.MaxNotes)*1e6 {
					t.Fatal("the sample holds none of the notes past the bound")
				}
				if len(r.Facts) != 2 || r.Facts[1] != (flows.Note{Kind: "first", Text: "x"}) || r.Facts[0].Kind != "k" {
					t.Fatalf("facts %v", r.Facts)
				}
				samples = append(samples, ts)
			}
			if tc.keep && tc.packets > flows.MaxNotes && slices.Equal(samples[0], samples[1]) {
				t.Fatal("two flows drew the same sample: the generator is not the flow's")
			}
		})
	}
}

// TestNotesSameSample: the sample of a flow's notes is the same with one
// shard and two.
func TestNotesSameSample(t *testing.T) {
	var got [][]flows.Note
	for _, shards := range []int{1, 2} {
		tr := flows.NewTracker(flows.DefaultConfig(), shards)
		tr.KeepNotes()
		out := table.NewOutput(table.NewBatch(testSchema, 1), 1<<30, nil)
		if err := tr.Register(func(*flows.Output) flows.Plugin { return &noter{} }, out); err != nil {
			t.Fatal(err)
		}
		var rows []parsers.PacketRow
		for i := range flows.MaxNotes * 2 {
			rows = append(rows, udpRow(1, 1000, int64(i)*1e6), udpRow(7, 1000, int64(i)*1e6))
		}
		fl := feedTracker(tr, rows, 256)
		got = append(got, fl[0].Notes)
	}
	if !slices.Equal(got[0], got[1]) {
		t.Fatal("the sample differs with the number of shards")
	}
}

// TestNoteBursts: with NoteBursts a flow's originator payload after the
// gap of silence is a "burst" note carrying the bytes before it; the
// flow's first payload, the responder's and the originator's within the
// gap are not.
func TestNoteBursts(t *testing.T) {
	tr := flows.NewTracker(flows.DefaultConfig(), 1)
	tr.NoteBursts(2 * time.Second)
	var rows []parsers.PacketRow
	pkt := func(ts int64, host int, n uint32) {
		r := udpRow(host, 1000, ts)
		if host == 2 { // the responder's answer
			r = udpRow(1, 1000, ts)
			r.SrcIP, r.DstIP = r.DstIP, r.SrcIP
			r.SrcPort, r.DstPort = r.DstPort, r.SrcPort
		}
		r.PayloadLen = n
		r.Set(parsers.ColPayloadLen)
		rows = append(rows, r)
	}
	for beat := range 5 {
		t0 := int64(beat) * 10e9
		pkt(t0, 1, 30)       // the call-out (a burst but for the first)
		pkt(t0+1e9, 1, 30)   // within the gap: the same burst
		pkt(t0+12e8, 2, 100) // the answer
	}
	fl := feedTracker(tr, rows, 4)
	if len(fl) != 1 {
		t.Fatalf("%d flows, want 1", len(fl))
	}
	var got []flows.Note
	for _, n := range fl[0].Notes {
		if n.Kind == "burst" {
			got = append(got, n)
		}
	}
	if len(got) != 4 {
		t.Fatalf("%d bursts, want 4: %v", len(got), fl[0].Notes)
	}
	for i, n := range got {
		if want := int64(i+1) * 10e9; n.TS != want || n.Bytes != uint64(i+1)*160 {
			t.Errorf("burst %d at %d with %d bytes before, want %d with %d", i, n.TS, n.Bytes, want, (i+1)*160)
		}
	}
}
