package writers_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pcap2table/pcap2table/table"
	"github.com/pcap2table/pcap2table/writers"
)

var dsSchema = &table.Schema{Name: "t", Columns: []table.Column{
	{Name: "n", Type: table.Uint64},
	{Name: "ts", Type: table.Timestamp, Nullable: true},
	{Name: "s", Type: table.String, Nullable: true},
	{Name: "l", Type: table.String, Nullable: true, List: true},
}}

// dsBatch holds a row per timestamp (time.Time{} for a null), n counting
// from first.
func dsBatch(first int, ts ...time.Time) *table.Batch {
	b := table.NewBatch(dsSchema, len(ts))
	for i, t := range ts {
		n := first + i
		b.Cols[0].AppendUint(uint64(n))
		if t.IsZero() {
			b.Cols[1].AppendNull()
		} else {
			b.Cols[1].AppendInt(t.UnixNano())
		}
		if n%3 == 0 {
			b.Cols[2].AppendNull()
		} else {
			b.Cols[2].AppendString(strings.Repeat("x", n%5))
		}
		for e := range n % 3 {
			b.Cols[3].ElemString(string(rune('a' + e)))
		}
		b.Cols[3].EndList()
		b.N++
	}
	return b
}

// readJSONL lists the files below dir with their lines.
func readJSONL(t *testing.T, dir string) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		got[filepath.ToSlash(rel)] = strings.Split(strings.TrimSpace(string(b)), "\n")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestDataset(t *testing.T) {
	jsonl, _ := writers.Lookup("jsonl")
	h := func(day, hour, min int) time.Time { return time.Date(2024, 1, day, hour, min, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name    string
		by      writers.Partitioning
		maxRows int
		batches []*table.Batch
		want    map[string][]int // file → the n of its rows
	}{
		{"hours", writers.ByHour, 0, []*table.Batch{
			dsBatch(0, h(2, 3, 0), h(2, 3, 59), h(2, 4, 0), time.Time{}),
			dsBatch(4, h(2, 4, 1), h(3, 0, 0)),
		}, map[string][]int{
			"date=2024-01-02/hour=03/part-00000.jsonl":                                         {0, 1},
			"date=2024-01-02/hour=04/part-00000.jsonl":                                         {2, 4},
			"date=__HIVE_DEFAULT_PARTITION__/hour=__HIVE_DEFAULT_PARTITION__/part-00000.jsonl": {3},
			"date=2024-01-03/hour=00/part-00000.jsonl":                                         {5},
		}},
		{"days, and files of at most 2 rows", writers.ByDay, 2, []*table.Batch{
			dsBatch(0, h(2, 3, 0), h(2, 5, 0), h(2, 23, 59), h(1, 0, 0), h(2, 0, 0)),
		}, map[string][]int{
			"date=2024-01-02/part-00000.jsonl": {0, 1},
			"date=2024-01-02/part-00001.jsonl": {2, 4},
			"date=2024-01-01/part-00000.jsonl": {3},
		}},
		{"before 1970", writers.ByDay, 0, []*table.Batch{
			dsBatch(0, time.Date(1969, 12, 31, 23, 0, 0, 1, time.UTC)),
		}, map[string][]int{"date=1969-12-31/part-00000.jsonl": {0}}},
		{"more partitions than open files: a partition met again gets a new part", writers.ByHour, 0, []*table.Batch{
			dsBatch(0, h(1, 0, 0), h(1, 1, 0), h(1, 2, 0), h(1, 3, 0), h(1, 4, 0), h(1, 0, 1)),
		}, map[string][]int{
			"date=2024-01-01/hour=00/part-00000.jsonl": {0},
			"date=2024-01-01/hour=01/part-00000.jsonl": {1},
			"date=2024-01-01/hour=02/part-00000.jsonl": {2},
			"date=2024-01-01/hour=03/part-00000.jsonl": {3},
			"date=2024-01-01/hour=04/part-00000.jsonl": {4},
			"date=2024-01-01/hour=00/part-00001.jsonl": {5},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			dir := filepath.Join(out, "t")
			// an earlier run's dataset, which the new one replaces whole
			if err := os.MkdirAll(filepath.Join(dir, "date=2000-01-01"), 0o777); err != nil {
				t.Fatal(err)
			}
			d, err := writers.NewDataset(dir, jsonl, dsSchema, tc.by, writers.Options{TimeFormat: writers.EpochNs})
			if err != nil {
				t.Fatal(err)
			}
			d.MaxRows = tc.maxRows
			// the reference: each row written alone to one JSONL file
			var all []string
			for _, b := range tc.batches {
				if err := d.Write(b); err != nil {
					t.Fatal(err)
				}
				var sb strings.Builder
				w, _ := jsonl.New(&sb, dsSchema, writers.Options{TimeFormat: writers.EpochNs})
				_ = w.Write(b)
				_ = w.Close()
				all = append(all, strings.Split(strings.TrimSpace(sb.String()), "\n")...)
			}
			if err := d.Close(); err != nil {
				t.Fatal(err)
			}
			if err := d.Commit(); err != nil {
				t.Fatal(err)
			}
			got := readJSONL(t, dir)
			if len(got) != len(tc.want) {
				t.Errorf("files %v", slices.Sorted(func(yield func(string) bool) {
					for k := range got {
						if !yield(k) {
							return
						}
					}
				}))
			}
			for f, ns := range tc.want {
				var want []string
				for _, n := range ns {
					want = append(want, all[n])
				}
				if !slices.Equal(got[f], want) {
					t.Errorf("%s:\n got %q\nwant %q", f, got[f], want)
				}
			}
			if ents, _ := os.ReadDir(out); len(ents) != 1 {
				t.Errorf("%d entries beside the dataset, want none (temporary folders left)", len(ents)-1)
			}
		})
	}
}

func TestDatasetAbort(t *testing.T) {
	out := t.TempDir()
	pq, _ := writers.Lookup("parquet")
	d, err := writers.NewDataset(filepath.Join(out, "t"), pq, dsSchema, writers.ByHour, writers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Write(dsBatch(0, time.Unix(3600, 0), time.Unix(7200, 0))); err != nil {
		t.Fatal(err)
	}
	d.Abort()
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("after Abort: %v", ents)
	}
	if _, err := writers.NewDataset(filepath.Join(out, "t"), pq, &table.Schema{Name: "x", Columns: []table.Column{{Name: "n", Type: table.Uint64}}}, writers.ByHour, writers.Options{}); err == nil {
		t.Error("a table without a timestamp was partitioned")
	}
}

func TestAppendRows(t *testing.T) {
	src := dsBatch(0, time.Unix(1, 0), time.Time{}, time.Unix(3, 0), time.Unix(4, 0), time.Unix(5, 0))
	dst := table.NewBatch(dsSchema, 1)
	dst.AppendRows(src, 3, 5)
	dst.AppendRows(src, 0, 2)
	jsonl, _ := writers.Lookup("jsonl")
	text := func(bs ...*table.Batch) string {
		var sb strings.Builder
		w, _ := jsonl.New(&sb, dsSchema, writers.Options{})
		for _, b := range bs {
			if err := w.Write(b); err != nil {
				t.Fatal(err)
			}
		}
		_ = w.Close()
		return sb.String()
	}
	got := text(dst)
	want := text(dsBatch(3, time.Unix(4, 0), time.Unix(5, 0)), dsBatch(0, time.Unix(1, 0), time.Time{}))
	if got != want || dst.N != 4 {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestTextParallel: CSV and JSONL format a large batch in chunks on
// several goroutines (Jobs 4) into the same bytes as on one.
func TestTextParallel(t *testing.T) {
	ts := make([]time.Time, 5000)
	for i := range ts {
		if i%7 != 0 {
			ts[i] = time.Unix(int64(1e9+i/3), int64(i))
		}
	}
	b := dsBatch(0, ts...)
	for _, name := range []string{"csv", "jsonl"} {
		f, _ := writers.Lookup(name)
		var outs []string
		for _, jobs := range []int{1, 4} {
			var sb strings.Builder
			w, _ := f.New(&sb, dsSchema, writers.Options{Jobs: jobs})
			for range 2 {
				if err := w.Write(b); err != nil {
					t.Fatal(err)
				}
			}
			_ = w.Close()
			outs = append(outs, sb.String())
		}
		if outs[0] != outs[1] || strings.Count(outs[0], "\n") < 10000 {
			t.Errorf("%s: %d and %d bytes differ", name, len(outs[0]), len(outs[1]))
		}
	}
}

// TestRemoveTemporaries: the temporaries of uncommitted outputs (a file,
// a dataset folder) are removed; committed outputs stay.
func TestRemoveTemporaries(t *testing.T) {
	dir := t.TempDir()
	done, err := writers.Create(filepath.Join(dir, "done.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if err := done.Commit(); err != nil {
		t.Fatal(err)
	}
	open, err := writers.Create(filepath.Join(dir, "open.csv"))
	if err != nil {
		t.Fatal(err)
	}
	jsonl, _ := writers.Lookup("jsonl")
	d, err := writers.NewDataset(filepath.Join(dir, "ds"), jsonl, dsSchema, writers.ByDay, writers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Write(dsBatch(0, time.Unix(1, 0))); err != nil {
		t.Fatal(err)
	}
	writers.RemoveTemporaries()
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 || ents[0].Name() != "done.csv" {
		t.Errorf("left: %v", ents)
	}
	open.Abort() // no-ops now
	d.Abort()
}
