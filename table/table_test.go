package table_test

import (
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table/table"
)

var s = &table.Schema{Name: "t", Version: 2, Doc: "A test.", Columns: []table.Column{
	{Name: "a", Type: table.Uint16, Doc: "first"},
	{Name: "b", Type: table.String, Nullable: true, Doc: "x|y"},
	{Name: "c", Type: table.Timestamp},
}}

func TestProjection(t *testing.T) {
	for _, tc := range []struct {
		names []string
		want  []int
		err   string
	}{
		{nil, []int{0, 1, 2}, ""},
		{[]string{"c", " a"}, []int{2, 0}, ""},
		{[]string{"a", "zz"}, nil, `table t has no column "zz"`},
		{[]string{"a", "a"}, nil, `column "a" selected twice`},
	} {
		got, err := s.Projection(tc.names)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v: err %v, want %q", tc.names, err, tc.err)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Fatalf("%v: %v %v", tc.names, got, err)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%v: %v", tc.names, got)
			}
		}
	}
}

func TestBatch(t *testing.T) {
	b := table.NewBatch(s, 2)
	for round := 0; round < 2; round++ { // a reset batch behaves like a new one
		b.Reset()
		b.Cols[0].AppendUint(7)
		b.Cols[1].AppendString("hello")
		b.Cols[2].AppendInt(-1)
		b.N++
		b.Cols[0].AppendUint(0)
		b.Cols[1].AppendNull()
		b.Cols[2].AppendInt(0)
		b.N++
		v := &b.Cols[1]
		v.Str = append(v.Str, "direct"...)
		v.EndString()
		b.Cols[0].AppendUint(1)
		b.Cols[2].AppendInt(1)
		b.N++
		if b.Len() != 3 || v.Len() != 3 {
			t.Fatalf("len %d %d", b.Len(), v.Len())
		}
		if string(v.Bytes(0)) != "hello" || v.Valid[1] || len(v.Bytes(1)) != 0 || string(v.Bytes(2)) != "direct" {
			t.Fatalf("strings %q %v %q", v.Bytes(0), v.Valid[1], v.Bytes(2))
		}
		if b.Cols[0].U64[1] != 0 || !b.Cols[0].Valid[1] {
			t.Fatal("zero is not null")
		}
	}
}

func TestMarkdown(t *testing.T) {
	md := s.Markdown()
	for _, want := range []string{"## `t` (schema version 2)", "| `a` | uint16 | never | first |", "| `b` | string | absent | x\\|y |", "timestamp[ns, UTC]"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}
