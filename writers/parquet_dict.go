package writers

import (
	"hash/maphash"
	"math/bits"
)

// The dictionaries of the Parquet writer map a column chunk's values to
// their index in the chunk's dictionary page, in the order they were first
// seen (so the output does not depend on a hash seed). They are open
// addressing tables kept at most half full; a map[string]int32 (parquet-go's)
// cost a tenth of a packets run in its look-ups alone.

// fixedDict is the dictionary of a column of 32- or 64-bit values, keyed
// by their bits. The values of a column of 8 or 16 bits index a table of
// their own (direct) instead of being hashed.
type fixedDict struct {
	slots  []int32 // index+1 of the value in vals; 0: empty
	shift  uint
	vals   []uint64
	direct []int32 // for values below len(direct): index+1; 0: not seen
	maxLen int     // the bound past which the chunk goes on in PLAIN
}

// newFixedDict returns a dictionary of at most maxLen values; values
// below 1<<directBits (0: none) are looked up directly.
func newFixedDict(maxLen, directBits int) *fixedDict {
	d := &fixedDict{maxLen: maxLen}
	if directBits > 0 {
		d.direct = make([]int32, 1<<directBits)
	}
	d.resize(1 << 10)
	return d
}

func (d *fixedDict) resize(n int) {
	d.slots = make([]int32, n)
	d.shift = uint(64 - bits.TrailingZeros(uint(n)))
	for i, v := range d.vals {
		d.slots[d.probe(v)] = int32(i + 1)
	}
}

// probe returns the slot of v, or the empty slot where it goes.
func (d *fixedDict) probe(v uint64) int {
	mask := len(d.slots) - 1
	i := int((v * 0x9e3779b97f4a7c15) >> d.shift)
	for {
		s := d.slots[i]
		if s == 0 || d.vals[s-1] == v {
			return i
		}
		i = (i + 1) & mask
	}
}

// index returns v's index, adding it when new.
func (d *fixedDict) index(v uint64) int32 {
	if v < uint64(len(d.direct)) {
		if s := d.direct[v]; s != 0 {
			return s - 1
		}
		d.vals = append(d.vals, v)
		d.direct[v] = int32(len(d.vals))
		return int32(len(d.vals) - 1)
	}
	i := d.probe(v)
	if s := d.slots[i]; s != 0 {
		return s - 1
	}
	d.vals = append(d.vals, v)
	d.slots[i] = int32(len(d.vals))
	if 2*len(d.vals) > len(d.slots) {
		d.resize(2 * len(d.slots))
	}
	return int32(len(d.vals) - 1)
}

func (d *fixedDict) len() int   { return len(d.vals) }
func (d *fixedDict) full() bool { return len(d.vals) >= d.maxLen }

func (d *fixedDict) reset() {
	if len(d.vals) == 0 {
		return
	}
	d.vals = d.vals[:0]
	clear(d.direct)
	clear(d.slots) // kept: the next chunk's values are likely as many
}

// bytesDict is the dictionary of a column of strings. A slot holds the
// value's hash in its high half and index+1 in its low half, so that a
// probe reads the value's bytes only when their hashes agree.
type bytesDict struct {
	seed     maphash.Seed
	slots    []uint64 // 0: empty
	hashes   []uint64
	data     []byte   // the values, one after the other
	off      []uint32 // value i is data[off[i]:off[i+1]]
	maxBytes int
}

func newBytesDict(maxBytes int) *bytesDict {
	d := &bytesDict{seed: maphash.MakeSeed(), maxBytes: maxBytes, off: []uint32{0}}
	d.slots = make([]uint64, 1<<10)
	return d
}

func (d *bytesDict) value(i int) []byte { return d.data[d.off[i]:d.off[i+1]] }

func (d *bytesDict) resize(n int) {
	d.slots = make([]uint64, n)
	mask := uint64(n - 1)
	for i, h := range d.hashes {
		j := h & mask
		for d.slots[j] != 0 {
			j = (j + 1) & mask
		}
		d.slots[j] = h&^0xffffffff | uint64(i+1)
	}
}

// index returns b's index, adding a copy of it when new.
func (d *bytesDict) index(b []byte) int32 {
	h := maphash.Bytes(d.seed, b)
	mask := uint64(len(d.slots) - 1)
	j := h & mask
	for {
		s := d.slots[j]
		if s == 0 {
			break
		}
		if s>>32 == h>>32 {
			if i := int(uint32(s)) - 1; string(d.value(i)) == string(b) {
				return int32(i)
			}
		}
		j = (j + 1) & mask
	}
	d.hashes = append(d.hashes, h)
	d.data = append(d.data, b...)
	d.off = append(d.off, uint32(len(d.data)))
	n := len(d.hashes)
	d.slots[j] = h&^0xffffffff | uint64(n)
	if 2*n > len(d.slots) {
		d.resize(2 * len(d.slots))
	}
	return int32(n - 1)
}

func (d *bytesDict) len() int { return len(d.hashes) }

// full reports whether the dictionary page (4 bytes of length per value)
// reached the bound.
func (d *bytesDict) full() bool { return len(d.data)+4*len(d.hashes) >= d.maxBytes }

func (d *bytesDict) reset() {
	if len(d.hashes) == 0 {
		return
	}
	d.hashes, d.data, d.off = d.hashes[:0], d.data[:0], d.off[:1]
	clear(d.slots) // kept: the next chunk's values are likely as many
}
