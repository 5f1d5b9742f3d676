package writers

import (
	"bufio"
	"io"
	"unicode/utf8"

	"github.com/pcap2table/pcap2table/table"
)

// jsonlWriter writes one JSON object per line, with every selected column
// as a key, null for null. Integers are JSON numbers (jq 1.6 rounds those
// above 2^53).
type jsonlWriter struct {
	w    *bufio.Writer
	keys [][]byte // `"name":` per column
	cols []int
	enc  textEnc
	buf  []byte
	err  error

	flushEach bool
}

// NewJSONL returns a JSONL writer.
func NewJSONL(w io.Writer, s *table.Schema, o Options) (Writer, error) {
	j := &jsonlWriter{w: bufio.NewWriterSize(w, 1<<20), cols: o.columns(s), enc: textEnc{tf: o.TimeFormat}, flushEach: o.FlushEachBatch}
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
	if j.err != nil {
		return j.err
	}
	n := b.Len()
	for r := 0; r < n; r++ {
		buf := j.buf[:0]
		for i, ci := range j.cols {
			buf = append(buf, j.keys[i]...)
			v := &b.Cols[ci]
			if !v.Valid[r] {
				buf = append(buf, "null"...)
				continue
			}
			buf = j.enc.appendValue(buf, v, r, true)
		}
		buf = append(buf, '}', '\n')
		j.buf = buf
		if _, err := j.w.Write(buf); err != nil {
			j.err = err
			return err
		}
	}
	if j.flushEach {
		j.err = j.w.Flush()
	}
	return j.err
}

func (j *jsonlWriter) Close() error {
	if j.err != nil {
		return j.err
	}
	j.err = j.w.Flush()
	return j.err
}

// appendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD.
func appendJSONString(b, s []byte) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				switch c {
				case '\n':
					b = append(b, '\\', 'n')
				case '\r':
					b = append(b, '\\', 'r')
				case '\t':
					b = append(b, '\\', 't')
				default:
					b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
				}
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"
