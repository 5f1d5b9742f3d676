package writers

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
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
	} {
		got := string(appendJSONString([]byte("x"), []byte(tc.in)))
		if got != "x"+tc.want {
			t.Errorf("appendJSONString(%q) = %s, want %s", tc.in, got[1:], tc.want)
		}
	}
}

// FuzzAppendJSONString checks that every byte string becomes a JSON
// string that decodes to the input with invalid UTF-8 replaced.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\xff", "caf\xc3\xa9", "\x00\n"} {
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
	})
}

func TestAppendUint(t *testing.T) {
	check := func(x uint64) {
		if got, want := string(appendUint([]byte("x"), x)), "x"+strconv.FormatUint(x, 10); got != want {
			t.Fatalf("appendUint(%d) = %s", x, got)
		}
	}
	for x := uint64(0); x < 200000; x++ {
		check(x)
	}
	for _, x := range []uint64{1<<32 - 1, 1 << 32, 1<<63 + 5, 1<<64 - 1} {
		check(x)
	}
}
