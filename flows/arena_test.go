package flows

import (
	"bytes"
	"testing"
)

// TestArena: copies never move while the arena grows (a row keeps
// pointing at its bytes), a piece larger than a chunk gets its own,
// Len counts what is held, and after Reset the chunks are reused.
func TestArena(t *testing.T) {
	tests := []struct {
		name  string
		sizes []int
	}{
		{"empty", []int{0}},
		{"small", []int{1, 2, 3, 100}},
		{"fills chunks", []int{arenaChunk / 2, arenaChunk / 2, arenaChunk / 2, 7}},
		{"larger than a chunk", []int{10, arenaChunk + 1, 10, 3 * arenaChunk}},
		{"exactly a chunk", []int{arenaChunk, arenaChunk, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a Arena
			for round := range 3 {
				var kept [][]byte
				var want [][]byte
				total := 0
				for i, n := range tt.sizes {
					b := bytes.Repeat([]byte{byte(i + round)}, n)
					kept = append(kept, a.keep(b))
					want = append(want, b)
					total += n
				}
				for i := range kept {
					if !bytes.Equal(kept[i], want[i]) {
						t.Fatalf("round %d: copy %d changed as the arena grew", round, i)
					}
					if cap(kept[i]) != len(kept[i]) {
						t.Errorf("round %d: copy %d has room to grow into the next copy", round, i)
					}
				}
				if a.Len() != total {
					t.Errorf("round %d: Len = %d, want %d", round, a.Len(), total)
				}
				chunks := len(a.chunks)
				a.Reset()
				if a.Len() != 0 {
					t.Errorf("round %d: Len after Reset = %d", round, a.Len())
				}
				if round > 0 && len(a.chunks) != chunks {
					t.Errorf("round %d: %d chunks, want the %d of the round before reused", round, len(a.chunks), chunks)
				}
			}
		})
	}
}

// TestArenaReuseAllocates nothing once grown.
func TestArenaReuseAllocates(t *testing.T) {
	var a Arena
	b := make([]byte, 1500)
	fill := func() {
		a.Reset()
		for range 2000 {
			a.keep(b)
		}
	}
	fill()
	if n := testing.AllocsPerRun(10, fill); n != 0 {
		t.Errorf("%v allocations per refill", n)
	}
}
