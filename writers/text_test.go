package writers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pcap2table/pcap2table/table"
)

func TestAppendJSONString(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{"10.0.0.1", `"10.0.0.1"`},
		{`a"b\c`, `"a\"b\\c"`},
		{"tab\there\nnl\rcr", `"tab\there\nnl\rcr"`},
		{"\x00\x1f", `"\u0000\u001f"`},
		{"caf\xc3\xa9", "\"caf\xc3\xa9\""},
		{"bad\xffbyte", "\"bad\ufffdbyte\""},
		{"\xe2\x82", "\"\ufffd\ufffd\""},
		{"/dir/ä.pcap\x7f", "\"/dir/ä.pcap\x7f\""},
		{"0123456789abcdef\"", `"0123456789abcdef\""`},
		{"01234567\n89abcdef", `"01234567\n89abcdef"`},
		{"0123456é", "\"0123456é\""},
	} {
		got := string(appendJSONString([]byte("x"), []byte(tc.in)))
		if got != "x"+tc.want {
			t.Errorf("appendJSONString(%q) = %s, want %s", tc.in, got[1:], tc.want)
		}
	}
}

// FuzzAppendJSONString checks that every byte string becomes a JSON
// string that decodes to the input with invalid UTF-8 replaced, and
// the bytes of refJSONString.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\xff", "caf\xc3\xa9", "\x00\n", "0123456789\\abcdef"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out := appendJSONString(nil, in)
		var got string
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%q -> %s: %v", in, out, err)
		}
		if want := strings.ToValidUTF8(string(in), "\ufffd"); got != want && utf8.ValidString(string(in)) {
			t.Fatalf("%q -> %q, want %q", in, got, want)
		}
		if want := refJSONString(nil, in); !bytes.Equal(out, want) {
			t.Fatalf("%q -> %s, want %s", in, out, want)
		}
	})
}

// specials are the bytes the string fast paths stop at (or must not),
// and their neighbours.
var specials = []string{
	",", "\"", "\n", "\r", "\\", " ", "\t", "\x00", "\x01", "\x1f", "\x7f",
	"+", "-", "!", "#", "\x2b", "\x2d", "[", "]", "\x80", "\xff", "\xc3", "é", "€",
	"\U0001F600", "\xe2\x82", "\xf0\x9f\x98", "\xed\xa0\x80",
}

// TestStringFastPaths puts every special byte at every position of
// strings of every length up to 40, alone and after another special,
// and checks CSV quoting and JSON escaping against the byte-at-a-time
// references.
func TestStringFastPaths(t *testing.T) {
	const plain = "0123456789abcdefghijklmnopqrstuvwxyz./:-ABCDEFGH"
	for n := 0; n <= 40; n++ {
		for p := 0; p <= n; p++ {
			for i, sp := range specials {
				for _, s := range []string{
					plain[:p] + sp + plain[p:n],
					plain[:p] + sp + specials[(i+7)%len(specials)] + plain[p:n],
				} {
					checkString(t, []byte(s))
				}
			}
		}
		checkString(t, []byte(plain[:n]))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		s := make([]byte, r.IntN(50))
		for i := range s {
			s[i] = byte(r.IntN(256))
			if r.IntN(4) > 0 {
				s[i] = plain[r.IntN(len(plain))]
			}
		}
		checkString(t, s)
	}
}

func checkString(t *testing.T, s []byte) {
	t.Helper()
	if got, want := appendCSVField([]byte("x"), s), refCSVField([]byte("x"), s); !bytes.Equal(got, want) {
		t.Fatalf("appendCSVField(%q) = %q, want %q", s, got, want)
	}
	if got, want := appendJSONString([]byte("x"), s), refJSONString([]byte("x"), s); !bytes.Equal(got, want) {
		t.Fatalf("appendJSONString(%q) = %q, want %q", s, got, want)
	}
}

// TestSWAR checks hasLess and hasByte on every byte at every position of
// a word, among neighbours that are and are not what they look for.
func TestSWAR(t *testing.T) {
	for _, fill := range []byte{0, 0x20, ',', '-', 'a', 0x7f, 0x80, 0xff} {
		for p := range 8 {
			for v := range 256 {
				w := bytes.Repeat([]byte{fill}, 8)
				w[p] = byte(v)
				x := uint64(0)
				for i := 7; i >= 0; i-- {
					x = x<<8 | uint64(w[i])
				}
				for _, n := range []byte{1, 0x20, '-', 128} {
					want := false
					for _, c := range w {
						want = want || c < n
					}
					if hasLess(x, n) != want {
						t.Fatalf("hasLess(%#x, %#x) = %v", x, n, !want)
					}
				}
				for _, c := range []byte{0, ',', '"', '\n', '\r', '\\', 0xff} {
					if got, want := hasByte(x, c), bytes.IndexByte(w, c) >= 0; got != want {
						t.Fatalf("hasByte(%#x, %#x) = %v", x, c, got)
					}
				}
			}
		}
	}
}

func TestAppendUint(t *testing.T) {
	check := func(x uint64) {
		if got, want := string(appendUint([]byte("x"), x)), "x"+strconv.FormatUint(x, 10); got != want {
			t.Fatalf("appendUint(%d) = %s", x, got)
		}
		if x <= math.MaxInt64 {
			for _, i := range []int64{int64(x), -int64(x)} {
				if got, want := string(appendInt([]byte("x"), i)), "x"+strconv.FormatInt(i, 10); got != want {
					t.Fatalf("appendInt(%d) = %s", i, got)
				}
			}
		}
	}
	for x := uint64(0); x < 200000; x++ {
		check(x)
	}
	for p := uint64(1); p < math.MaxUint64/10; p *= 10 {
		for _, x := range []uint64{p - 1, p, p + 1, 2*p - 1, 9*p + p - 1, 5 * p, p + p/2} {
			check(x)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		check(r.Uint64() >> r.IntN(64))
	}
	for _, x := range []uint64{1<<32 - 1, 1 << 32, 1<<63 - 1, 1 << 63, 1<<63 + 5, 1<<64 - 1} {
		check(x)
	}
	if got := string(appendInt(nil, math.MinInt64)); got != "-9223372036854775808" {
		t.Fatalf("appendInt(MinInt64) = %s", got)
	}
}

// TestDigits8 checks the 8 digits of x, for every x below 200000 and
// for samples of the rest.
func TestDigits8(t *testing.T) {
	check := func(x uint32) {
		got := append8(nil, x)
		if want := fmt.Sprintf("%08d", x); string(got) != want {
			t.Fatalf("append8(%d) = %s", x, got)
		}
	}
	for x := uint32(0); x < 200000; x++ {
		check(x)
	}
	for x := uint32(200000); x < 1e8; x += 997 {
		check(x)
		check(min(x+499, 1e8-1))
	}
	check(1e8 - 1)
}

// TestTimeBoundaries writes sequences of times crossing second, minute,
// day, year and epoch boundaries (the cached second changing or not),
// the first and last times an int64 holds and far-off ones, in every
// time format, and checks them against the time package and math/big.
func TestTimeBoundaries(t *testing.T) {
	var ns []int64
	for _, base := range []int64{
		0, 1704164645e9, 1704067200e9, 1735689600e9, 951782400e9, 1e9, -1e9,
		-86400e9, -2208988800e9, 4102444800e9, 7258118400e9,
		math.MaxInt64 - 61e9, math.MinInt64 + 2e9,
	} {
		for _, d := range []int64{-1e9 - 1, -1e9, -1, 0, 1, 999999999, 1e9, 1e9 + 123456789, 60e9} {
			ns = append(ns, base+d)
		}
	}
	ns = append(ns, math.MaxInt64, math.MinInt64, math.MaxInt64, -1, -1, 0)
	for _, tf := range []TimeFormat{RFC3339, Epoch, EpochNs, EpochUs} {
		for _, jobs := range []int{1, 2} {
			s := &table.Schema{Name: "t", Columns: []table.Column{{Name: "ts", Type: table.Timestamp}}}
			n := max(len(ns), 3*parRows) // enough rows for chunks of their own
			b := table.NewBatch(s, n)
			var want strings.Builder
			want.WriteString("ts\n")
			for i := range n {
				x := ns[i%len(ns)]
				b.Cols[0].AppendInt(x)
				want.WriteString(refTime(x, tf) + "\n")
			}
			b.N = n
			var got bytes.Buffer
			w, _ := NewCSV(&got, s, Options{TimeFormat: tf, Jobs: jobs})
			if err := w.Write(b); err != nil {
				t.Fatal(err)
			}
			w.Close()
			if got.String() != want.String() {
				g, w := strings.Split(got.String(), "\n"), strings.Split(want.String(), "\n")
				for i := range w {
					if i >= len(g) || g[i] != w[i] {
						t.Fatalf("%v jobs %d line %d: got %q, want %q", tf, jobs, i, g[min(i, len(g)-1)], w[i])
					}
				}
				t.Fatalf("%v jobs %d: %d lines, want %d", tf, jobs, len(g), len(w))
			}
		}
	}
}

// refTime is ns in format tf, from the time package and exact decimals.
func refTime(ns int64, tf TimeFormat) string {
	x := big.NewInt(ns)
	switch tf {
	case Epoch:
		sign := ""
		if ns < 0 {
			sign = "-"
		}
		q, r := new(big.Int).QuoRem(new(big.Int).Abs(x), big.NewInt(1e9), new(big.Int))
		return fmt.Sprintf("%s%d.%09d", sign, q, r)
	case EpochNs:
		return x.String()
	case EpochUs:
		return new(big.Int).Div(x, big.NewInt(1000)).String() // Euclidean: floored for a positive divisor
	}
	return time.Unix(0, ns).UTC().Format("2006-01-02T15:04:05.000000000Z")
}

// refSchema has a column of every type, as a value and as a list, and
// names that CSV must quote, JSON must escape, or that are longer than a
// shortText holds.
var refSchema = func() *table.Schema {
	s := &table.Schema{Name: "ref"}
	types := []table.Type{table.Bool, table.Uint8, table.Uint16, table.Uint32, table.Uint64, table.Int64, table.Float64, table.String, table.Timestamp}
	for _, list := range []bool{false, true} {
		for i, typ := range types {
			s.Columns = append(s.Columns, table.Column{Name: fmt.Sprintf("c%d_%v", i, list), Type: typ, Nullable: true, List: list})
		}
	}
	s.Columns = append(s.Columns,
		table.Column{Name: "a,\"name\" that is quoted", Type: table.String, Nullable: true},
		table.Column{Name: strings.Repeat("long_name_", 5), Type: table.Uint16, Nullable: true},
		table.Column{Name: "s2", Type: table.String, Nullable: true},
		table.Column{Name: "u2", Type: table.Uint32, Nullable: true},
		table.Column{Name: "ts2", Type: table.Timestamp, Nullable: true},
	)
	return s
}()

// refStrings are string values for the reference batches.
var refStrings = []string{
	"", "10.0.0.1", "08:00:27:19:1c:78", "a,b", "q\"uote", " lead", "trail\t", "line\nbreak", "cr\r",
	"caf\xc3\xa9", "bad\xff", "\x00\x1f", `back\slash`, "ab", "ba", "abab", "../testdata/captures/pcapplusplus--example.pcap",
	"[1,2]", "0123456789012345678901234567890123456789",
}

// fillRef appends n rows to b: each column, in each batch, all null,
// one value, one value but in one row, or values at random, some null.
func fillRef(r *rand.Rand, b *table.Batch, n int) {
	for c := range b.Cols {
		v := &b.Cols[c]
		mode, odd := r.IntN(5), r.IntN(max(n, 1))
		seed := r.Uint64()
		for i := range n {
			rr := rand.New(rand.NewPCG(seed, 0)) // the same value in every row
			switch {
			case mode == 0, mode == 4 && r.IntN(3) == 0:
				v.AppendNull()
				continue
			case mode == 2 && i == odd, mode >= 3:
				rr = r
			}
			appendRefValue(rr, v)
		}
	}
	b.N += n
}

// appendRefValue appends a value at random, or a list of them, to v.
func appendRefValue(r *rand.Rand, v *table.Vector) {
	if !v.IsList {
		appendRefScalar(r, v, false)
		return
	}
	for range r.IntN(4) {
		appendRefScalar(r, v, true)
	}
	v.EndList()
}

func appendRefScalar(r *rand.Rand, v *table.Vector, elem bool) {
	var u uint64
	switch r.IntN(4) {
	case 0:
		u = r.Uint64N(10)
	case 1:
		u = r.Uint64N(100000)
	case 2:
		u = r.Uint64() >> r.IntN(64)
	}
	switch v.Type {
	case table.Bool:
		u &= 1
	case table.Uint8:
		u = uint64(uint8(u))
	case table.Uint16:
		u = uint64(uint16(u))
	case table.Uint32:
		u = uint64(uint32(u))
	}
	i := int64(u)
	if r.IntN(2) == 0 {
		i = -i
	}
	switch v.Type {
	case table.Int64, table.Timestamp:
		if elem {
			v.ElemInt(i)
		} else {
			v.AppendInt(i)
		}
	case table.Float64:
		f := []float64{0, -1.5, 1e21, 1.0 / 3, math.Inf(1), math.NaN(), 5e-324, float64(i)}[r.IntN(8)]
		if elem {
			v.ElemFloat(f)
		} else {
			v.AppendFloat(f)
		}
	case table.String:
		s := refStrings[r.IntN(len(refStrings))]
		if elem {
			v.ElemString(s)
		} else {
			v.AppendString(s)
		}
	default:
		if elem {
			v.ElemUint(u)
		} else {
			v.AppendUint(u)
		}
	}
}

// TestTextReference writes batches of every column type, with columns
// constant, null or not in each batch, through CSV and JSONL in every
// time format, sequentially and in parallel, and checks the bytes
// against refText, the writers' formats before their fast paths.
func TestTextReference(t *testing.T) {
	all := make([]int, len(refSchema.Columns))
	for i := range all {
		all[i] = i
	}
	projections := [][]int{nil, {7, 20, 2}, {len(all) - 1, 0}, {}}
	r := rand.New(rand.NewPCG(5, 6))
	for _, format := range []string{"csv", "jsonl"} {
		for _, tf := range []TimeFormat{RFC3339, Epoch, EpochNs, EpochUs} {
			for _, jobs := range []int{0, 2} {
				for _, cols := range projections {
					o := Options{Columns: cols, TimeFormat: tf, Jobs: jobs}
					var got bytes.Buffer
					f, _ := Lookup(format)
					w, err := f.New(&got, refSchema, o)
					if err != nil {
						t.Fatal(err)
					}
					var want []byte
					if format == "csv" {
						want = refCSVHeader(refSchema, o.columns(refSchema))
					}
					b := table.NewBatch(refSchema, 16)
					for _, n := range []int{1, 2, 3, 0, 7, 2*parRows + 5, 1, 300} {
						b.Reset()
						fillRef(r, b, n)
						if err := w.Write(b); err != nil {
							t.Fatal(err)
						}
						want = refText(want, format == "jsonl", refSchema, o.columns(refSchema), tf, b)
					}
					w.Close()
					if !bytes.Equal(got.Bytes(), want) {
						g, w := strings.Split(got.String(), "\n"), strings.Split(string(want), "\n")
						for i := range min(len(g), len(w)) {
							if g[i] != w[i] {
								t.Fatalf("%s %v jobs %d cols %v line %d:\n got %q\nwant %q", format, tf, jobs, cols, i, g[i], w[i])
							}
						}
						t.Fatalf("%s %v jobs %d cols %v: %d lines, want %d", format, tf, jobs, cols, len(g), len(w))
					}
				}
			}
		}
	}
}

// The reference: CSV and JSONL as the writers made them before their
// fast paths, with one type switch per value and a byte at a time.

func refCSVHeader(s *table.Schema, cols []int) []byte {
	var b []byte
	for i, ci := range cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = refCSVField(b, []byte(s.Columns[ci].Name))
	}
	return append(b, '\n')
}

// refText appends the rows of batch b.
func refText(buf []byte, json bool, s *table.Schema, cols []int, tf TimeFormat, b *table.Batch) []byte {
	for r := range b.N {
		for i, ci := range cols {
			v := &b.Cols[ci]
			if json {
				if i == 0 {
					buf = append(buf, '{')
				} else {
					buf = append(buf, ',')
				}
				buf = append(refJSONString(buf, []byte(s.Columns[ci].Name)), ':')
				if !v.Valid[r] {
					buf = append(buf, "null"...)
					continue
				}
			} else {
				if i > 0 {
					buf = append(buf, ',')
				}
				if !v.Valid[r] {
					continue
				}
			}
			buf = refValue(buf, v, r, json, tf)
		}
		if json {
			buf = append(buf, '}')
		}
		buf = append(buf, '\n')
	}
	return buf
}

func refValue(buf []byte, v *table.Vector, r int, json bool, tf TimeFormat) []byte {
	if !v.IsList {
		return refScalar(buf, v, r, json, tf)
	}
	lo, hi := v.Elems(r)
	a := []byte{'['}
	for i := lo; i < hi; i++ {
		if i > lo {
			a = append(a, ',')
		}
		a = refScalar(a, v, i, true, tf)
	}
	a = append(a, ']')
	if json {
		return append(buf, a...)
	}
	return refCSVField(buf, a)
}

func refScalar(buf []byte, v *table.Vector, r int, json bool, tf TimeFormat) []byte {
	switch v.Type {
	case table.Bool:
		return strconv.AppendBool(buf, v.U64[r] != 0)
	case table.Uint8, table.Uint16, table.Uint32, table.Uint64:
		return strconv.AppendUint(buf, v.U64[r], 10)
	case table.Int64:
		return strconv.AppendInt(buf, v.I64[r], 10)
	case table.Float64:
		return strconv.AppendFloat(buf, v.F64[r], 'g', -1, 64)
	case table.Timestamp:
		if json && tf == RFC3339 {
			return append(buf, "\""+refTime(v.I64[r], tf)+"\""...)
		}
		return append(buf, refTime(v.I64[r], tf)...)
	case table.String:
		if json {
			return refJSONString(buf, v.Bytes(r))
		}
		return refCSVField(buf, v.Bytes(r))
	}
	return buf
}

func refCSVField(b, f []byte) []byte {
	quote := len(f) == 0 || f[0] == ' ' || f[0] == '\t' || f[len(f)-1] == ' ' || f[len(f)-1] == '\t'
	for _, c := range f {
		quote = quote || c == ',' || c == '"' || c == '\n' || c == '\r'
	}
	if !quote {
		return append(b, f...)
	}
	b = append(b, '"')
	for _, c := range f {
		if c == '"' {
			b = append(b, '"')
		}
		b = append(b, c)
	}
	return append(b, '"')
}

func refJSONString(b, s []byte) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c < 0x20:
			b = fmt.Appendf(b, `\u%04x`, c)
		case c < utf8.RuneSelf:
			b = append(b, c)
		default:
			r, size := utf8.DecodeRune(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, "\ufffd"...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		i++
	}
	return append(b, '"')
}
