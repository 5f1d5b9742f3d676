package writers

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestSweepTemporaries: the temporaries of an output whose runs are gone
// (no lock held) are removed; a live run's (locked), a young one, another
// output's and a dataset's .old whose new dataset is not in place stay.
func TestSweepTemporaries(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-time.Minute)
	mk := func(name string, folder bool) string {
		p := filepath.Join(dir, name)
		if folder {
			if err := os.MkdirAll(filepath.Join(p, "date=2024-01-01"), 0o755); err != nil {
				t.Fatal(err)
			}
		} else if err := os.WriteFile(p, []byte("half"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dead := mk(".x.parquet.tmp-0123456789ab", false)
	live := mk(".x.parquet.tmp-aaaaaaaaaaaa", false)
	young := filepath.Join(dir, ".x.parquet.tmp-bbbbbbbbbbbb")
	os.WriteFile(young, nil, 0o644)
	other := mk(".y.parquet.tmp-0123456789ab", false)
	deadDS := mk(".flows.tmp-0123456789ab", true)
	oldDS := mk(".flows.tmp-cccccccccccc.old", true)
	f, err := os.Open(live)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lock(f)

	got := SweepTemporaries(filepath.Join(dir, "x.parquet"))
	if !slices.Equal(got, []string{dead}) {
		t.Errorf("swept %v, want %v", got, []string{dead})
	}
	got = SweepTemporaries(filepath.Join(dir, "flows"))
	if !slices.Equal(got, []string{deadDS}) {
		t.Errorf("swept %v, want %v (the .old stays: flows is not in place)", got, []string{deadDS})
	}
	for _, p := range []string{live, young, other, oldDS} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed", p)
		}
	}
	os.Mkdir(filepath.Join(dir, "flows"), 0o755)
	if got = SweepTemporaries(filepath.Join(dir, "flows")); !slices.Equal(got, []string{oldDS}) {
		t.Errorf("swept %v, want the .old once the new dataset is in place", got)
	}
}
