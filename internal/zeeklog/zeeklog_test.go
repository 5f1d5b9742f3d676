package zeeklog

import (
	"fmt"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, in string
		fields   string
		rows     string
	}{
		{"headers", "#separator \\x09\n#unset_field\t-\n#empty_field\t(empty)\n#fields\tts\tid.orig_h\tservice\thost\n#types\ttime\taddr\tstring\tstring\n" +
			"1.5\t10.0.0.1\t-\t(empty)\n2.5\t10.0.0.2\tdns,http\ta\\x3cb\\\\c\n#close\t2020\n",
			"[ts id.orig_h service host]", "[map[host: id.orig_h:10.0.0.1 ts:1.5] map[host:a<b\\c id.orig_h:10.0.0.2 service:dns,http ts:2.5]]"},
		{"other unset and empty", "#unset_field\tNA\n#empty_field\tNONE\n#fields\ta\tb\nNA\tNONE\n", "[a b]", "[map[b:]]"},
		{"cut table", "id_orig_h\tid_resp_p\tproto\n10.0.0.1\t53\tudp\n", "[id.orig_h id.resp_p proto]", "[map[id.orig_h:10.0.0.1 id.resp_p:53 proto:udp]]"},
		{"short row, bad escape", "#fields\ta\tb\tc\nx\\xZZ\n", "[a b c]", "[map[a:x\\xZZ]]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := Parse(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(l.Fields); got != tt.fields {
				t.Errorf("fields %s, want %s", got, tt.fields)
			}
			if got := fmt.Sprint(l.Rows); got != tt.rows {
				t.Errorf("rows %s, want %s", got, tt.rows)
			}
		})
	}
}
