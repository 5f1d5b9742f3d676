package pcap2table

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pcap2table/pcap2table/beacons"
)

// Watching a folder (pcap2table watch): a rotating writer (tcpdump -G or
// -C, dumpcap's ring buffer) fills capture files one after another; each
// is converted once it is finished, into per-table Hive-style folders.
//
// Flows that span files are kept whole, with the ids a conversion of all
// the files at once gives them: the conversion of file k reads again the
// files from the one where the oldest flow still open at the end of file
// k-1 began (the rows they make are dropped: an earlier conversion wrote
// them), then file k, whose rows are written; the flows still open at its
// end are held, not ended (flows.Tracker.Hold), for the next file's
// conversion to end. The active timeout (30 minutes by default) bounds
// how far back that is.
//
// Nothing lost, nothing twice: each file's rows go to files named after
// it, written whole into a temporary folder and renamed into place, and
// the state file (OUTDIR/.pcap2table-watch.json, replaced atomically)
// records the file done only then. A run killed at any point starts again
// at the first file not recorded, whose outputs it writes again under the
// same names.

// replayRun is how Watch runs a conversion: the rows made before the
// first packet of input skip are dropped, and at the end the flows still
// open are held (hold) or ended as at the end of any input.
type replayRun struct {
	skip   int
	hold   bool
	oldest int // out: the input of the oldest held flow's first packet, -1 if none
}

// WatchOptions configure Watch.
type WatchOptions struct {
	// Settle is how long a file must go unmodified to count as finished
	// when no later file has appeared (default 10 s); a file with a
	// later one after it (by name) is finished.
	Settle time.Duration
	// Poll is how often the folder is listed (default 2 s).
	Poll time.Duration
	// Once converts the files there, ends every flow at the end of the
	// last one, and returns: the capture is over.
	Once bool
	// OnFile is called after each file is converted and recorded.
	OnFile func(name string, st *Stats)
}

// watchState is the state file's content.
type watchState struct {
	Done []watchFile `json:"done"`
	// Low is the file where the oldest flow held at the end of the last
	// file done began ("" when none is held).
	Low string `json:"replay_from,omitempty"`
	// Flushed says Once ended every flow: more files would be a new capture.
	Flushed bool `json:"flushed,omitempty"`
}

type watchFile struct {
	Name    string `json:"name"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtime_ns"`
}

const watchStateName = ".pcap2table-watch.json"

// errWatchStopped: the context was canceled while a file was converted.
var errWatchStopped = errors.New("stopped")

// Watch converts the capture files of dir into o.Output, a folder that
// receives OUTPUT/<table>/date=YYYY-MM-DD/hour=HH/<file>.<ext> per file
// and table (the hour its first packet was captured), as each file is
// finished, until ctx is canceled (or, with w.Once, the files there are
// done). o.Tables is every table but beacons, which needs the whole
// capture at once. A file that is not a capture, or is damaged, is
// converted as far as it reads and reported through o.OnWarning.
func Watch(ctx context.Context, dir string, o Options, w WatchOptions) error {
	if err := checkWatch(dir, &o, &w); err != nil {
		return err
	}
	statePath := filepath.Join(o.Output, watchStateName)
	st, err := loadWatchState(statePath)
	if err != nil {
		return err
	}
	for {
		files, err := listCaptures(dir)
		if err != nil {
			return err
		}
		done := map[string]bool{}
		for _, f := range st.Done {
			done[f.Name] = true
		}
		now := time.Now()
		progressed := false
		for k, f := range files {
			if done[f.Name()] {
				continue
			}
			last := k == len(files)-1
			if last && !w.Once && now.Sub(modTime(f)) < w.Settle {
				break // still being written, as far as we can tell
			}
			if st.Flushed {
				return fmt.Errorf("%s: %s came after every flow was ended (--once): give another output folder", dir, f.Name())
			}
			if err := watchFileOnce(ctx, dir, files, k, &o, &w, st, statePath, w.Once && last); err != nil {
				if errors.Is(err, errWatchStopped) {
					return nil
				}
				return err
			}
			progressed = true
		}
		if w.Once {
			if !progressed && st.Low != "" && !st.Flushed {
				// a run killed before --once ended the flows it held
				if err := watchFlush(ctx, dir, files, &o, st, statePath); !errors.Is(err, errWatchStopped) {
					return err
				}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(w.Poll):
		}
	}
}

// checkWatch checks the options and fills in the defaults.
func checkWatch(dir string, o *Options, w *WatchOptions) error {
	if o.Output == "" || o.Output == "-" {
		return usagef("watch writes into a folder: give -o FOLDER")
	}
	if o.PartitionBy != "" {
		return usagef("watch partitions by hour itself: leave out --partition-by")
	}
	if len(o.Tables) == 0 {
		o.Tables = []string{"flows"}
	}
	for _, t := range o.Tables {
		if strings.TrimSpace(t) == beacons.Schema.Name {
			return usagef("watch cannot write the beacons table (it scores the whole capture at once): convert the folder's files together")
		}
	}
	if o.Format == "" {
		o.Format = "parquet"
	}
	if w.Settle <= 0 {
		w.Settle = 10 * time.Second
	}
	if w.Poll <= 0 {
		w.Poll = 2 * time.Second
	}
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usagef("watch: %s is not a folder", dir)
	}
	return os.MkdirAll(o.Output, 0o755)
}

// listCaptures lists the files of dir a rotating writer made, in their
// order: by name, numbers compared as numbers (dump.pcap2 before
// dump.pcap10); hidden files and folders left out.
func listCaptures(dir string) ([]os.DirEntry, error) {
	all, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	var files []os.DirEntry
	for _, e := range all {
		if e.Type().IsRegular() && !strings.HasPrefix(e.Name(), ".") {
			files = append(files, e)
		}
	}
	slices.SortFunc(files, func(a, b os.DirEntry) int { return naturalCompare(a.Name(), b.Name()) })
	return files, nil
}

func modTime(e os.DirEntry) time.Time {
	if info, err := e.Info(); err == nil {
		return info.ModTime()
	}
	return time.Time{}
}

// naturalCompare orders names as a person would: runs of digits by value.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if c := len(na) - len(nb); c != 0 {
				return c
			}
			if c := strings.Compare(na, nb); c != 0 {
				return c
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// watchFileOnce converts files[k] (after reading again those from the
// state's Low), puts its outputs in place and records it.
func watchFileOnce(ctx context.Context, dir string, files []os.DirEntry, k int, o *Options, w *WatchOptions, st *watchState, statePath string, final bool) error {
	low := k
	if i := slices.IndexFunc(files, func(f os.DirEntry) bool { return f.Name() == st.Low }); st.Low != "" && i >= 0 && i < k {
		low = i
	}
	var inputs []string
	for _, f := range files[low : k+1] {
		inputs = append(inputs, filepath.Join(dir, f.Name()))
	}
	run := &replayRun{skip: k - low, hold: !final}
	stats, err := convertInto(ctx, inputs, o, run, files[k].Name())
	if err != nil {
		return err
	}
	info, err := files[k].Info()
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	st.Done = append(st.Done, watchFile{Name: files[k].Name(), Size: info.Size(), ModTime: info.ModTime().UnixNano()})
	st.Low = ""
	if run.oldest >= 0 {
		st.Low = files[low+run.oldest].Name()
	}
	st.Flushed = final
	if err := saveWatchState(statePath, st); err != nil {
		return err
	}
	if w.OnFile != nil {
		w.OnFile(files[k].Name(), stats)
	}
	return nil
}

// watchFlush ends the flows held at the end of the last file done: a run
// that reads again the files from Low, all rows dropped but those the
// end of the input makes, written as "<last file>.end".
func watchFlush(ctx context.Context, dir string, files []os.DirEntry, o *Options, st *watchState, statePath string) error {
	lo := slices.IndexFunc(files, func(f os.DirEntry) bool { return f.Name() == st.Low })
	hi := slices.IndexFunc(files, func(f os.DirEntry) bool { return f.Name() == st.Done[len(st.Done)-1].Name })
	if lo < 0 || hi < lo {
		return fmt.Errorf("watch: %s: the files the state file names are gone: the flows held cannot be ended", dir)
	}
	var inputs []string
	for _, f := range files[lo : hi+1] {
		inputs = append(inputs, filepath.Join(dir, f.Name()))
	}
	run := &replayRun{skip: len(inputs)}
	if _, err := convertInto(ctx, inputs, o, run, files[hi].Name()+".end"); err != nil {
		return err
	}
	st.Low, st.Flushed = "", true
	return saveWatchState(statePath, st)
}

// convertInto runs one conversion into a temporary folder of o.Output,
// then renames each table's file to its place: OUTPUT/<table>/date=.../
// hour=.../<name>.<ext>, the hour of the run's last input's first packet.
func convertInto(ctx context.Context, inputs []string, o *Options, run *replayRun, name string) (*Stats, error) {
	tmp := filepath.Join(o.Output, ".tmp-"+name)
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("watch: %w", err)
	}
	o2 := *o
	o2.Output, o2.replay = tmp+string(filepath.Separator), run
	stats, err := Convert(ctx, inputs, o2)
	if err != nil && !errors.Is(err, ErrPartial) || ctx.Err() != nil {
		// an interrupted file is done again, whole, by the next run
		os.RemoveAll(tmp)
		if ctx.Err() != nil {
			return nil, errWatchStopped
		}
		return nil, err
	}
	var first int64
	if f := stats.Files[len(stats.Files)-1]; f.timed() > 0 {
		first = f.FirstTS
	}
	t := time.Unix(0, first).UTC()
	part := filepath.Join("date="+t.Format("2006-01-02"), "hour="+t.Format("15"))
	for _, ts := range stats.Tables {
		dst := filepath.Join(o.Output, ts.Name, part, name+filepath.Ext(ts.Output))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, fmt.Errorf("watch: %w", err)
		}
		if err := os.Rename(ts.Output, dst); err != nil {
			return nil, fmt.Errorf("watch: %w", err)
		}
	}
	os.RemoveAll(tmp)
	return stats, nil
}

func loadWatchState(path string) (*watchState, error) {
	st := &watchState{}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err == nil {
		err = json.Unmarshal(b, st)
	}
	if err != nil {
		return nil, fmt.Errorf("watch: state file %s: %w", path, err)
	}
	return st, nil
}

// saveWatchState replaces the state file atomically and durably.
func saveWatchState(path string, st *watchState) error {
	b, err := json.MarshalIndent(st, "", " ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err == nil {
		_, err = f.Write(append(b, '\n'))
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return fmt.Errorf("watch: writing the state file: %w", osCause(err))
	}
	return nil
}
