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
	for _, bc := range []struct {
		name string
		fn   func(b []byte) []byte
	}{
		{"csv-plain", func(b []byte) []byte {
			for _, s := range plain {
				b = appendCSVField(b, s)
			}
			return b
		}},
		{"csv-special", func(b []byte) []byte {
			for _, s := range special {
				b = appendCSVField(b, s)
			}
			return b
		}},
		{"json-plain", func(b []byte) []byte {
			for _, s := range plain {
				b = appendJSONString(b, s)
			}
			return b
		}},
		{"json-special", func(b []byte) []byte {
			for _, s := range special {
				b = appendJSONString(b, s)
			}
			return b
		}},
		{"uint16", func(b []byte) []byte {
			for _, x := range small {
				b = appendUint(b, x)
			}
			return b
		}},
		{"uint32", func(b []byte) []byte {
			for _, x := range large {
				b = appendUint(b, x)
			}
			return b
		}},
		{"rfc3339", func(b []byte) []byte {
			var e textEnc
			for _, ns := range times {
				b = e.appendRFC3339(b, ns, false)
			}
			return b
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for range b.N {
				buf = bc.fn(buf[:0])
			}
		})
	}
}
