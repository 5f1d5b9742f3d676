package flows

// An Arena holds the bytes Retain copies out of the packets' buffers, in
// chunks that never move: a copy stays where it was put until Reset, and
// growing the arena copies nothing (a slice grown by append would copy the
// bytes kept so far, and keep the old array alive for the rows that point
// into it: three times the memory for a batch of fragments). After Reset
// the chunks are reused, so a pipeline that resets an arena per batch
// allocates only while the arena first grows to its working size.
type Arena struct {
	chunks [][]byte
	cur    int // the chunk being filled
}

// arenaChunk is the size of an arena's chunks (a larger piece gets a
// chunk of its own size).
const arenaChunk = 1 << 20

// Reset forgets every copy; the memory is reused.
func (a *Arena) Reset() {
	for i := range a.chunks[:min(a.cur+1, len(a.chunks))] {
		a.chunks[i] = a.chunks[i][:0]
	}
	a.cur = 0
}

// Len is the number of bytes held.
func (a *Arena) Len() int {
	n := 0
	for _, c := range a.chunks[:min(a.cur+1, len(a.chunks))] {
		n += len(c)
	}
	return n
}

// keep copies b into the arena and returns the copy (nil for no bytes).
func (a *Arena) keep(b []byte) []byte {
	if len(b) == 0 {
		return b
	}
	for a.cur < len(a.chunks) && cap(a.chunks[a.cur])-len(a.chunks[a.cur]) < len(b) {
		if len(a.chunks[a.cur]) == 0 {
			break // an empty chunk too small for b: replaced below
		}
		a.cur++
	}
	switch {
	case a.cur == len(a.chunks):
		a.chunks = append(a.chunks, make([]byte, 0, max(arenaChunk, len(b))))
	case cap(a.chunks[a.cur]) < len(b):
		a.chunks[a.cur] = make([]byte, 0, len(b))
	}
	c := a.chunks[a.cur]
	n := len(c)
	c = append(c, b...)
	a.chunks[a.cur] = c
	return c[n:len(c):len(c)]
}
