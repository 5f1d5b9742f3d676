package flows

import (
	"math/rand/v2"
	"net/netip"
	"reflect"
	"testing"

	"github.com/pcap2table/pcap2table/parsers"
)

// TestIndex inserts and removes keys at random, many more than the first
// table holds, with colliding hash bits forced on some, and checks the
// index against a map after every step (backward-shift removal must keep
// every key reachable from its home bucket).
func TestIndex(t *testing.T) {
	tr := NewTracker(DefaultConfig(), 1).ws[0] // one shard: its index and flows
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[Key]int32{}
	var live []int32
	key := func(i int) Key {
		k := Key{Proto: 17, PortA: uint16(i), PortB: uint16(i >> 16), HasPorts: true}
		k.A[15] = byte(i >> 8)
		return k
	}
	// hashOf forces the low bits of every third key's hash together, so
	// that runs of probes form and removals shift entries back
	hashOf := func(k *Key) uint64 {
		h := tr.ix.hash(k)
		if k.PortA%3 == 0 {
			h &^= 0xff
		}
		return h
	}
	next := 0
	var row parsers.PacketRow
	row.SrcIP, row.DstIP = netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	for step := range 20000 {
		if len(live) == 0 || rng.IntN(3) > 0 && len(live) < 5000 {
			k := key(next)
			next++
			h := hashOf(&k)
			pos, _, f := tr.ix.find(&k, h, tr)
			if f != nil {
				t.Fatalf("step %d: new key found", step)
			}
			i := tr.start(&k, h, pos, &row, 0, false)
			want[k] = i
			live = append(live, i)
		} else {
			j := rng.IntN(len(live))
			i := live[j]
			live[j] = live[len(live)-1]
			live = live[:len(live)-1]
			f := tr.flow(i)
			delete(want, f.key)
			// end's removal, with the forced hash
			tr.ix.remove(hashOf(&f.key), i)
			tr.dequeue(i)
			tr.unlink(&tr.byAge, i, true)
			f.inUse = false
			tr.free = append(tr.free, i)
		}
		if step%97 == 0 || step == 19999 {
			if tr.ix.n != len(want) {
				t.Fatalf("step %d: %d entries, want %d", step, tr.ix.n, len(want))
			}
			for k, i := range want {
				if _, got, f := tr.ix.find(&k, hashOf(&k), tr); f == nil || got != i || f != tr.flow(i) {
					t.Fatalf("step %d: key %v: slot %d %p, want %d", step, k, got, f, i)
				}
			}
		}
	}
}

// TestKeyEqual: equal agrees with == for keys that differ in each field.
// A field added to Key fails it until equal and this list compare it.
func TestKeyEqual(t *testing.T) {
	if n := reflect.TypeFor[Key]().NumField(); n != 9 {
		t.Fatalf("Key has %d fields: compare the new ones in Key.equal and below", n)
	}
	base := Key{A: [16]byte{15: 1}, B: [16]byte{15: 2}, PortA: 1, PortB: 2, Proto: 6, HasPorts: true, VLAN: 10, TunnelID: 7}
	for i, change := range []func(k *Key){
		func(k *Key) {},
		func(k *Key) { k.A[0] = 9 },
		func(k *Key) { k.B[15] = 9 },
		func(k *Key) { k.PortA = 9 },
		func(k *Key) { k.PortB = 9 },
		func(k *Key) { k.Proto = 17 },
		func(k *Key) { k.V6 = true },
		func(k *Key) { k.HasPorts = false },
		func(k *Key) { k.VLAN = 9 },
		func(k *Key) { k.TunnelID = 9 },
	} {
		k := base
		change(&k)
		if got, want := k.equal(&base), k == base; got != want {
			t.Errorf("change %d: equal %v, == %v", i, got, want)
		}
	}
}
