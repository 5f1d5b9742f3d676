package flows

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// index maps a flow key to its flow slot: open addressing with linear
// probing over one array of 8-byte entries, each the low 32 bits of the
// key's hash and the slot plus one (0 is empty). It replaced a Go map,
// whose generic key hash (field by field, for a struct with padding) and
// probing cost a fifth of a flows-only run; and unlike a map, its bucket
// can be prefetched before it is read (shard.prepare). The keys live in
// the flows: a probe compares the key of a slot whose hash bits match.
type index struct {
	tab  []uint64
	mask uint32
	n    int
	seed [3]uint64
}

const minIndex = 1 << 10

func newIndex() index {
	// a random seed: a capture crafted to collide cannot aim at it
	return index{tab: make([]uint64, minIndex), mask: minIndex - 1,
		seed: [3]uint64{rand.Uint64() | 1, rand.Uint64() | 1, rand.Uint64() | 1}}
}

func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// hash is a fast 64-bit hash of the key's fields (mixing in the manner of
// wyhash: 128-bit products of the words xored with the seed).
func (x *index) hash(k *Key) uint64 {
	a0, a1 := binary.LittleEndian.Uint64(k.A[:8]), binary.LittleEndian.Uint64(k.A[8:])
	b0, b1 := binary.LittleEndian.Uint64(k.B[:8]), binary.LittleEndian.Uint64(k.B[8:])
	m := uint64(k.PortA) | uint64(k.PortB)<<16 | uint64(k.Proto)<<32 | uint64(k.VLAN)<<40
	if k.V6 {
		m |= 1 << 56
	}
	if k.HasPorts {
		m |= 1 << 57
	}
	h := mix(a0^x.seed[0], a1^x.seed[1]) ^ mix(b0^x.seed[1], b1^x.seed[2])
	return mix(h^m, uint64(k.TunnelID)^x.seed[0])
}

// find returns the position, slot and flow of key k (of hash h), or
// where it would be inserted, none and nil; the keys are read from t's
// flows.
func (x *index) find(k *Key, h uint64, t *shard) (pos uint32, slot int32, f *flow) {
	tag := uint32(h)
	for p := tag & x.mask; ; p = (p + 1) & x.mask {
		e := x.tab[p]
		if e == 0 {
			return p, none, nil
		}
		if uint32(e>>32) == tag {
			i := int32(uint32(e)) - 1
			if f := t.flow(i); f.key.equal(k) {
				return p, i, f
			}
		}
	}
}

// insert puts slot i at pos, which find returned for its key's hash h.
func (x *index) insert(pos uint32, h uint64, i int32) {
	x.tab[pos] = uint64(uint32(h))<<32 | uint64(uint32(i+1))
	if x.n++; x.n*2 > len(x.tab) {
		x.grow()
	}
}

func (x *index) grow() {
	old := x.tab
	x.tab = make([]uint64, 2*len(old))
	x.mask = uint32(len(x.tab) - 1)
	for _, e := range old {
		if e != 0 {
			p := uint32(e>>32) & x.mask
			for x.tab[p] != 0 {
				p = (p + 1) & x.mask
			}
			x.tab[p] = e
		}
	}
}

// remove deletes slot i (of hash h), shifting back the entries after it
// that probed past it, so that no tombstones are left.
func (x *index) remove(h uint64, i int32) {
	want := uint64(uint32(h))<<32 | uint64(uint32(i+1))
	p := uint32(h) & x.mask
	for x.tab[p] != want {
		p = (p + 1) & x.mask
	}
	for q := (p + 1) & x.mask; ; q = (q + 1) & x.mask {
		e := x.tab[q]
		if e == 0 {
			break
		}
		// e may move to the hole p if its home is not within (p, q]
		home := uint32(e>>32) & x.mask
		if (q-home)&x.mask >= (q-p)&x.mask {
			x.tab[p] = e
			p = q
		}
	}
	x.tab[p] = 0
	x.n--
}

// bucket is the address of the entry a probe for hash h reads first.
func (x *index) bucket(h uint64) *uint64 { return &x.tab[uint32(h)&x.mask] }
