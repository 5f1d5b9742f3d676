package writers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pcap2table/pcap2table/table"
)

// Partitioning is how a Dataset splits a table's rows into folders.
type Partitioning uint8

// Partitionings.
const (
	ByHour Partitioning = iota + 1 // date=YYYY-MM-DD/hour=HH
	ByDay                          // date=YYYY-MM-DD
)

// ParsePartitioning reads "hour" or "day".
func ParsePartitioning(s string) (Partitioning, error) {
	switch s {
	case "hour":
		return ByHour, nil
	case "day":
		return ByDay, nil
	}
	return 0, fmt.Errorf("unknown partitioning %q (want hour or day)", s)
}

// DefaultMaxFileRows bounds the rows of one file of a Dataset.
const DefaultMaxFileRows = 4 << 20

// maxOpenParts bounds the files a Dataset keeps open (each holds a row
// group in memory): rows come in time order, or nearly (a flow's row
// comes when it ends, up to the active timeout after its start).
const maxOpenParts = 4

// nullPartition is Hive's folder for a null partition value.
const nullPartition = "__HIVE_DEFAULT_PARTITION__"

// Dataset writes one table as a Hive-style partitioned dataset, the
// layout DuckDB (read_parquet('DIR/**/*.parquet', hive_partitioning =
// true)), Spark and Trino read as one table:
//
//	DIR/date=2024-01-02/hour=03/part-00000.parquet
//
// A row's partition is the UTC date (and hour) of the table's first
// timestamp column (packets: ts, flows: ts_start); a null timestamp goes
// to date=__HIVE_DEFAULT_PARTITION__. A partition's rows fill
// part-00000, then part-00001 when MaxRows is reached, or when rows of a
// partition come back after it was closed to bound the open files.
//
// The dataset appears atomically: it is written into a temporary folder
// beside DIR, and Commit replaces DIR with it (a DIR from an earlier run
// is removed then, so that no stale part mixes in); Abort removes it.
// Like the other writers, a Dataset does not keep the batches written.
type Dataset struct {
	dir, tmp string
	lock     *os.File // the temporary folder, locked while the run lives
	format   Format
	schema   *table.Schema
	opts     Options
	by       Partitioning
	tsCol    int
	// MaxRows bounds the rows of one file (default DefaultMaxFileRows).
	MaxRows int
	// Sync makes Commit fsync every file before the rename.
	Sync bool

	open  []*part        // the open files, least recently written first
	next  map[string]int // the next part number of each partition
	files []string       // every file written
	bytes int64          // the size of the files closed
	sub   *table.Batch   // scratch: one partition's rows of a batch
	err   error          // sticky
	done  bool
}

type part struct {
	key  int64 // hours or days since the epoch; -1 << 63 for null
	f    *os.File
	w    Writer
	rows int
}

// NewDataset starts a dataset of table s in folder dir (its parent must
// exist), in format f with options o (o.Columns selects the columns).
func NewDataset(dir string, f Format, s *table.Schema, by Partitioning, o Options) (*Dataset, error) {
	ts := -1
	for i, c := range s.Columns {
		if c.Type == table.Timestamp && !c.List {
			ts = i
			break
		}
	}
	if ts < 0 {
		return nil, fmt.Errorf("table %s has no timestamp to partition by", s.Name)
	}
	SweepTemporaries(dir)
	tmp := tempName(dir)
	if err := os.Mkdir(tmp, 0o777); err != nil {
		return nil, plainErr(err)
	}
	lk, err := os.Open(tmp)
	if err != nil {
		os.Remove(tmp)
		return nil, plainErr(err)
	}
	lock(lk)
	track(tmp)
	return &Dataset{dir: filepath.Clean(dir), tmp: tmp, lock: lk, format: f, schema: s, opts: o, by: by, tsCol: ts,
		MaxRows: DefaultMaxFileRows, next: map[string]int{}}, nil
}

// TimeColumn is the column whose timestamp picks a row's partition.
func (d *Dataset) TimeColumn() string { return d.schema.Columns[d.tsCol].Name }

const nullKey = -1 << 63

// key is the partition of a timestamp (ns since the epoch).
func (d *Dataset) key(ts int64, valid bool) int64 {
	if !valid {
		return nullKey
	}
	unit := int64(time.Hour)
	if d.by == ByDay {
		unit = 24 * int64(time.Hour)
	}
	k := ts / unit
	if ts < 0 && ts%unit != 0 {
		k-- // floor, for times before 1970
	}
	return k
}

// folder is the partition's path below the dataset.
func (d *Dataset) folder(k int64) string {
	if k == nullKey {
		if d.by == ByDay {
			return "date=" + nullPartition
		}
		return filepath.Join("date="+nullPartition, "hour="+nullPartition)
	}
	unit := time.Hour
	if d.by == ByDay {
		unit = 24 * time.Hour
	}
	t := time.Unix(0, 0).UTC().Add(time.Duration(k) * unit)
	if d.by == ByDay {
		return "date=" + t.Format("2006-01-02")
	}
	return filepath.Join("date="+t.Format("2006-01-02"), "hour="+t.Format("15"))
}

// Write routes the batch's rows to their partitions' files, in order.
func (d *Dataset) Write(b *table.Batch) error {
	if d.err != nil {
		return d.err
	}
	if d.done {
		return errors.New("dataset: write after close")
	}
	ts := &b.Cols[d.tsCol]
	for lo := 0; lo < b.N; {
		k := d.key(ts.I64[lo], ts.Valid[lo])
		hi := lo + 1
		for hi < b.N && d.key(ts.I64[hi], ts.Valid[hi]) == k {
			hi++
		}
		if err := d.write(b, lo, hi, k); err != nil {
			d.err = plainErr(err)
			return d.err
		}
		lo = hi
	}
	return nil
}

// write writes rows [lo, hi) of b, all of partition k.
func (d *Dataset) write(b *table.Batch, lo, hi int, k int64) error {
	for lo < hi {
		p, err := d.part(k)
		if err != nil {
			return err
		}
		n := min(hi-lo, d.maxRows()-p.rows)
		src := b
		if lo != 0 || n != b.N {
			if d.sub == nil {
				d.sub = table.NewBatch(d.schema, n)
			}
			d.sub.Reset()
			d.sub.AppendRows(b, lo, lo+n)
			src = d.sub
		}
		if err := p.w.Write(src); err != nil {
			return err
		}
		p.rows += n
		lo += n
		if p.rows >= d.maxRows() {
			if err := d.closePart(p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *Dataset) maxRows() int {
	if d.MaxRows <= 0 {
		return DefaultMaxFileRows
	}
	return d.MaxRows
}

// part returns the open file of partition k, opening one (and closing
// the least recently written if too many are open).
func (d *Dataset) part(k int64) (*part, error) {
	for i, p := range d.open {
		if p.key == k {
			if i != len(d.open)-1 {
				copy(d.open[i:], d.open[i+1:])
				d.open[len(d.open)-1] = p
			}
			return p, nil
		}
	}
	if len(d.open) >= maxOpenParts {
		if err := d.closePart(d.open[0]); err != nil {
			return nil, err
		}
	}
	folder := d.folder(k)
	if err := os.MkdirAll(filepath.Join(d.tmp, folder), 0o777); err != nil {
		return nil, err
	}
	n := d.next[folder]
	d.next[folder] = n + 1
	name := filepath.Join(d.tmp, folder, fmt.Sprintf("part-%05d%s", n, d.format.Exts[0]))
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	o := d.opts
	o.Metadata = map[string]string{}
	for k, v := range d.opts.Metadata {
		o.Metadata[k] = v
	}
	o.Metadata["pcap2table.partition"] = folder
	w, err := d.format.New(f, d.schema, o)
	if err != nil {
		f.Close()
		return nil, err
	}
	p := &part{key: k, f: f, w: w}
	d.open = append(d.open, p)
	d.files = append(d.files, name)
	return p, nil
}

// closePart finishes a file: the format's footer, then the file.
func (d *Dataset) closePart(p *part) error {
	for i, q := range d.open {
		if q == p {
			d.open = append(d.open[:i], d.open[i+1:]...)
			break
		}
	}
	err := p.w.Close()
	if d.Sync && err == nil {
		err = p.f.Sync()
	}
	if st, serr := p.f.Stat(); serr == nil {
		d.bytes += st.Size()
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Close finishes every open file. The dataset is still under its
// temporary name: Commit or Abort follows.
func (d *Dataset) Close() error {
	if d.done {
		return d.err
	}
	d.done = true
	for len(d.open) > 0 {
		if err := d.closePart(d.open[0]); err != nil && d.err == nil {
			d.err = plainErr(err)
		}
	}
	return d.err
}

// Bytes is the size of the files written, once closed.
func (d *Dataset) Bytes() int64 { return d.bytes }

// Files is the number of files written.
func (d *Dataset) Files() int { return len(d.files) }

// Commit replaces the folder with the dataset (after Close).
func (d *Dataset) Commit() error {
	if !d.done {
		if err := d.Close(); err != nil {
			d.Abort()
			return err
		}
	}
	if d.err != nil {
		d.Abort()
		return d.err
	}
	if d.tmp == "" {
		return nil
	}
	var old string
	if _, err := os.Lstat(d.dir); err == nil {
		old = d.tmp + ".old"
		if err := os.Rename(d.dir, old); err != nil {
			d.Abort()
			return plainErr(err)
		}
	}
	if err := os.Rename(d.tmp, d.dir); err != nil {
		if old != "" {
			_ = os.Rename(old, d.dir)
		}
		d.Abort()
		return plainErr(err)
	}
	untrack(d.tmp)
	d.tmp = ""
	d.lock.Close()
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

// Abort closes the files and removes the temporary dataset. It is a
// no-op after Commit.
func (d *Dataset) Abort() {
	for _, p := range d.open {
		p.f.Close()
	}
	d.open = nil
	d.done = true
	if d.tmp != "" {
		os.RemoveAll(d.tmp)
		untrack(d.tmp)
		d.tmp = ""
		d.lock.Close()
	}
}

// String describes the dataset: its folder and files.
func (d *Dataset) String() string {
	return d.dir + " (" + strconv.Itoa(len(d.files)) + " files)"
}
