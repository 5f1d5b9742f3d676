package writers

import (
	"io"
	"unicode/utf8"

	"github.com/pcap2table/pcap2table/table"
)

// jsonlWriter writes one JSON object per line, with every selected column
// as a key, null for null. Integers are JSON numbers (jq 1.6 rounds those
// above 2^53).
type jsonlWriter struct {
	out  textOut
	keys [][]byte // `"name":` per column
	cols []int
	enc  textEnc
	par  textPar
	b    *table.Batch // being written

	flushEach bool
}

// NewJSONL returns a JSONL writer.
func NewJSONL(w io.Writer, s *table.Schema, o Options) (Writer, error) {
	j := &jsonlWriter{out: newTextOut(w), cols: o.columns(s), enc: textEnc{tf: o.TimeFormat}, flushEach: o.FlushEachBatch, par: textPar{jobs: o.Jobs}}
	for i, ci := range j.cols {
		var k []byte
		if i == 0 {
			k = append(k, '{')
		} else {
			k = append(k, ',')
		}
		k = appendJSONString(k, []byte(s.Columns[ci].Name))
		j.keys = append(j.keys, append(k, ':'))
	}
	return j, nil
}

func (j *jsonlWriter) Write(b *table.Batch) error {
	if j.out.err != nil {
		return j.out.err
	}
	j.b = b
	err := j.par.rows(&j.out, &j.enc, b.Len(), j.flushEach, j.row)
	j.b = nil
	return err
}

// row appends row r of the batch being written.
func (j *jsonlWriter) row(e *textEnc, buf []byte, r int) []byte {
	for i, ci := range j.cols {
		buf = append(buf, j.keys[i]...)
		v := &j.b.Cols[ci]
		if !v.Valid[r] {
			buf = append(buf, "null"...)
			continue
		}
		buf = e.appendValue(buf, v, r, true)
	}
	return append(buf, '}', '\n')
}

func (j *jsonlWriter) Close() error {
	return j.out.flush()
}

// jsonPlain marks the bytes a JSON string holds as they are: printable
// ASCII other than '"' and '\\'.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD.
// Runs of plain bytes are copied at once.
func appendJSONString(b, s []byte) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if jsonPlain[c] {
			i++
			continue
		}
		b = append(b, s[start:i]...)
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			}
			i++
		} else {
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, "\ufffd"...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
		}
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"
