package pcap2table_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/pcap2table/pcap2table"
)

// TestOpen: Options.Open reads the inputs from elsewhere than the local
// file system; the names stay those given, in the rows and in errors.
func TestOpen(t *testing.T) {
	data, err := os.ReadFile(captures + "dpkt--examples--data--http.pcap")
	if err != nil {
		t.Fatal(err)
	}
	opened := 0
	open := func(_ context.Context, name string) (io.ReadCloser, error) {
		if name != "mem://http.pcap" {
			return nil, fs.ErrNotExist
		}
		opened++
		return io.NopCloser(bytes.NewReader(data)), nil
	}
	var out bytes.Buffer
	o := pcap2table.Options{Stdout: &out, Columns: []string{"file", "frame"}, Format: "csv", Open: open}
	if _, err := pcap2table.Convert(context.Background(), []string{"mem://http.pcap"}, o); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) < 10 || lines[1] != "mem://http.pcap,1" {
		t.Errorf("%d lines, first row %q", len(lines), lines[min(1, len(lines)-1)])
	}
	if opened != 2 {
		t.Errorf("opened %d times, want 2 (the header, then the packets)", opened)
	}
	_, err = pcap2table.Convert(context.Background(), []string{"mem://none.pcap"}, o)
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "mem://none.pcap: ") {
		t.Errorf("missing input: %v", err)
	}
}

// TestPartsUsage: a part outside the parts is a usage error.
func TestPartsUsage(t *testing.T) {
	for _, c := range []struct{ parts, part int }{{3, 3}, {3, -1}, {-2, 0}, {0, 1}} {
		_, err := pcap2table.Convert(context.Background(), []string{captures + "dpkt--examples--data--http.pcap"},
			pcap2table.Options{Stdout: io.Discard, Parts: c.parts, Part: c.part})
		var ue *pcap2table.UsageError
		if !errors.As(err, &ue) {
			t.Errorf("part %d of %d: %v, want a usage error", c.part, c.parts, err)
		}
	}
}
