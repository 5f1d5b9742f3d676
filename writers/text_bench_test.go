package writers

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkTextValues times the text writers' value encoders on their
// own, 1024 values an op: `go test -bench TextValues ./writers`.
func BenchmarkTextValues(b *testing.B) {
	strs := func(ss ...string) [][]byte {
		out := make([][]byte, 1024)
		for i := range out {
			out[i] = []byte(ss[i%len(ss)])
		}
		return out
	}
	plain := strs("08:00:27:19:1c:78", "10.0.0.138", "../testdata/captures/pcapplusplus--example.pcap", "fe80::1")
	special := strs("Mozilla/5.0 (X11; Linux x86_64)", "a,\"b\"", "caf\xc3\xa9 \xff", "line\nbreak\t")
	r := rand.New(rand.NewPCG(1, 1))
	small, large, times := make([]uint64, 1024), make([]uint64, 1024), make([]int64, 1024)
	for i := range small {
		small[i] = r.Uint64N(65536)
		large[i] = r.Uint64N(1 << 32)
		times[i] = 1704164645e9 + int64(i)*1e6 + r.Int64N(1e6)
	}
	buf := make([]byte, 0, 1<<16)
	var e textEnc
	for _, bc := range []struct {
		name string
		fn   func(b []byte) []byte
	}{
		{"csv-plain", each(plain, appendCSVField)},
		{"csv-special", each(special, appendCSVField)},
		{"json-plain", each(plain, appendJSONString)},
		{"json-special", each(special, appendJSONString)},
		{"uint16", each(small, appendUint)},
		{"uint32", each(large, appendUint)},
		{"rfc3339", each(times, func(b []byte, ns int64) []byte { return e.appendRFC3339(b, ns, false) })},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for range b.N {
				buf = bc.fn(buf[:0])
			}
		})
	}
}

// each is a benchmark body appending every value of xs with f.
func each[T any](xs []T, f func([]byte, T) []byte) func([]byte) []byte {
	return func(b []byte) []byte {
		for _, x := range xs {
			b = f(b, x)
		}
		return b
	}
}
