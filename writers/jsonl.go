package writers

import (
	"encoding/binary"
	"io"
	"unicode/utf8"

	"github.com/pcap2table/pcap2table/table"
)

// NewJSONL returns a JSONL writer: one JSON object per line, with every
// selected column as a key, null for null. Integers are JSON numbers (jq
// 1.6 rounds those above 2^53).
func NewJSONL(w io.Writer, s *table.Schema, o Options) (Writer, error) {
	cols := o.columns(s)
	t := newTextWriter(w, o, cols)
	for i, ci := range cols {
		col := s.Columns[ci]
		k := []byte{','}
		if i == 0 {
			k[0] = '{'
		}
		k = append(appendJSONString(k, []byte(col.Name)), ':')
		c := &t.rows.cols[i]
		c.pre, c.null = newShort(k), newShort(append(k, "null"...))
		c.kind, c.enc = jsonEnc(col.Type, o.TimeFormat)
		c.elem = c.enc
		if col.List {
			c.kind, c.enc = kindOther, appendJSONArray
		}
	}
	t.rows.end = []byte("}\n")
	return t, nil
}

func encJSONString(_ *textEnc, b []byte, c *textCol, r int) []byte {
	return appendJSONString(b, c.bytes(r))
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
	for {
		i := jsonPlainLen(s)
		b = append(b, s[:i]...)
		if i == len(s) {
			return append(b, '"')
		}
		var n int
		b, n = appendJSONChar(b, s[i:])
		s = s[i+n:]
	}
}

// jsonPlainLen returns the length of the run of jsonPlain bytes that s
// starts with, testing 8 bytes at a time.
func jsonPlainLen(s []byte) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64(s[i:])
		if x&msb != 0 || hasLess(x, 0x20) || hasByte(x, '"') || hasByte(x, '\\') {
			break
		}
	}
	for i < len(s) && jsonPlain[s[i]] {
		i++
	}
	return i
}

// appendJSONChar appends the JSON text of the character s starts with,
// which is not jsonPlain, and returns how many bytes of s it took.
func appendJSONChar(b, s []byte) ([]byte, int) {
	c := s[0]
	if c >= utf8.RuneSelf {
		r, size := utf8.DecodeRune(s)
		if r == utf8.RuneError && size == 1 {
			return append(b, "\ufffd"...), 1
		}
		return append(b, s[:size]...), size
	}
	switch c {
	case '"', '\\':
		return append(b, '\\', c), 1
	case '\n':
		return append(b, '\\', 'n'), 1
	case '\r':
		return append(b, '\\', 'r'), 1
	case '\t':
		return append(b, '\\', 't'), 1
	}
	return append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15]), 1
}

const hexDigits = "0123456789abcdef"
