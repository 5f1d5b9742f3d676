package writers

import (
	"io"
	"strconv"
	"sync"
	"time"
)

// appendEpoch appends a timestamp (ns since the epoch, UTC) in one of the
// epoch formats.
func appendEpoch(b []byte, ns int64, tf TimeFormat) []byte {
	switch tf {
	case EpochUs:
		us := ns / 1000
		if ns < 0 && ns%1000 != 0 {
			us--
		}
		return strconv.AppendInt(b, us, 10)
	case Epoch:
		sec, frac := ns/1e9, ns%1e9
		if frac < 0 {
			sec--
			frac += 1e9
		}
		if sec < 0 && frac != 0 {
			// -0.5 s is sec -1 + 0.5: write it as a negative decimal.
			b = append(b, '-')
			sec, frac = -sec-1, 1e9-frac
		}
		b = strconv.AppendInt(b, sec, 10)
		b = append(b, '.')
		return appendFrac9(b, frac)
	}
	return strconv.AppendInt(b, ns, 10) // EpochNs
}

// textEnc formats values as text for CSV and JSONL. RFC 3339 always has 9
// fractional digits, unlike time.RFC3339Nano. It caches the date
// and time of the last second formatted: consecutive packets mostly share
// it, and time.AppendFormat is the costliest step of a row.
type textEnc struct {
	tf     TimeFormat
	sec    int64
	prefix []byte // "2006-01-02T15:04:05." of sec
	// scratch holds a list's JSON text before it is quoted as a CSV field.
	scratch []byte
}

func (e *textEnc) appendTime(b []byte, ns int64) []byte {
	if e.tf != RFC3339 {
		return appendEpoch(b, ns, e.tf)
	}
	sec, frac := ns/1e9, ns%1e9
	if frac < 0 {
		sec--
		frac += 1e9
	}
	if sec != e.sec || e.prefix == nil {
		e.sec = sec
		e.prefix = time.Unix(sec, 0).UTC().AppendFormat(e.prefix[:0], "2006-01-02T15:04:05.")
	}
	b = append(b, e.prefix...)
	b = appendFrac9(b, frac)
	return append(b, 'Z')
}

func appendFrac9(b []byte, frac int64) []byte {
	var d [9]byte
	for i := 8; i >= 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(b, d[:]...)
}

// textOutSize is how many bytes of text rows are gathered before one
// write to the underlying writer.
const textOutSize = 1 << 20

// textOut gathers formatted rows in one buffer and writes it out when it
// holds textOutSize bytes: rows are formatted straight into the bytes that
// are written, with no second copy into a bufio.Writer. The first write
// error is sticky.
type textOut struct {
	w   io.Writer
	buf []byte
	err error
}

func newTextOut(w io.Writer) textOut {
	return textOut{w: w, buf: make([]byte, 0, textOutSize+4096)}
}

// endRow is called after each row appended to buf (the buffer's bytes
// plus the row): once they fill textOutSize they are written out. It
// returns the buffer for the next row, and false after a write error.
func (o *textOut) endRow(buf []byte) ([]byte, bool) {
	if len(buf) < textOutSize {
		return buf, true
	}
	o.buf = buf
	return o.buf, o.flush() == nil
}

// endBatch keeps buf as the buffer after a batch, writing it out if
// flush (live inputs), and returns the sticky error.
func (o *textOut) endBatch(buf []byte, flush bool) error {
	o.buf = buf
	if flush {
		return o.flush()
	}
	return o.err
}

// flush writes out whatever the buffer holds.
func (o *textOut) flush() error {
	if o.err == nil && len(o.buf) > 0 {
		_, o.err = o.w.Write(o.buf)
	}
	o.buf = o.buf[:0]
	return o.err
}

const digits2 = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

// appendUint is strconv.AppendUint(b, x, 10) with fixed-length appends for
// values below 100000 (ports, lengths, flags, protocol numbers: most of a
// row's numbers), which strconv copies from a string or formats in a loop.
func appendUint(b []byte, x uint64) []byte {
	switch {
	case x < 10:
		return append(b, byte('0'+x))
	case x < 100:
		return append(b, digits2[2*x], digits2[2*x+1])
	case x < 1000:
		h, l := x/100, x%100
		return append(b, byte('0'+h), digits2[2*l], digits2[2*l+1])
	case x < 10000:
		h, l := x/100, x%100
		return append(b, digits2[2*h], digits2[2*h+1], digits2[2*l], digits2[2*l+1])
	case x < 100000:
		a, m, l := x/10000, x/100%100, x%100
		return append(b, byte('0'+a), digits2[2*m], digits2[2*m+1], digits2[2*l], digits2[2*l+1])
	}
	return strconv.AppendUint(b, x, 10)
}

// parRows is the fewest rows per goroutine worth formatting apart.
const parRows = 1024

// textPar formats the rows of a large batch in chunks on several
// goroutines, each with its own encoder (and time cache) and buffer,
// and writes the chunks out in order: the bytes are those of formatting
// the rows one after the other, on up to jobs goroutines.
type textPar struct {
	jobs int
	encs []textEnc
	bufs [][]byte
	wg   sync.WaitGroup
}

// rows formats rows [0, n) with row into o, in parallel when n and
// p.jobs allow; enc is the encoder of the first chunk (and of all
// rows when sequential). It returns the sticky error.
func (p *textPar) rows(o *textOut, enc *textEnc, n int, flush bool, row func(e *textEnc, buf []byte, r int) []byte) error {
	k := min(p.jobs, n/parRows)
	if k <= 1 {
		buf := o.buf
		for r := 0; r < n; r++ {
			buf = row(enc, buf, r)
			var ok bool
			if buf, ok = o.endRow(buf); !ok {
				return o.err
			}
		}
		return o.endBatch(buf, flush)
	}
	for len(p.encs) < k {
		p.encs = append(p.encs, textEnc{tf: enc.tf})
		p.bufs = append(p.bufs, nil)
	}
	for c := 1; c < k; c++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			b := p.bufs[c][:0]
			for r := c * n / k; r < (c+1)*n/k; r++ {
				b = row(&p.encs[c], b, r)
			}
			p.bufs[c] = b
		}()
	}
	buf := o.buf
	for r := 0; r < n/k; r++ {
		buf = row(enc, buf, r)
	}
	o.buf = buf
	p.wg.Wait()
	o.flush()
	for c := 1; c < k && o.err == nil; c++ {
		_, o.err = o.w.Write(p.bufs[c])
	}
	return o.err
}
