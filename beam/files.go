package pcapbeam

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/pcap2table/pcap2table/writers"
	// local paths (a program using beamx also gets gs://)
	_ "github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem/local"
)

// remote reports whether name is a URL of one of Beam's file systems
// (gs://bucket/...), not a local path.
func remote(name string) bool { return strings.Contains(name, "://") }

// Expand lists the captures that patterns name, in the order given, each
// pattern's matches sorted (as a shell sorts them). A pattern without a
// wildcard is taken as it is; one that matches nothing is an error.
func Expand(ctx context.Context, patterns []string) ([]string, error) {
	var out []string
	for _, p := range patterns {
		if !strings.ContainsAny(p, "*?[") {
			out = append(out, p)
			continue
		}
		fsys, err := filesystem.New(ctx, p)
		if err != nil {
			return nil, err
		}
		names, err := fsys.List(ctx, p)
		fsys.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if len(names) == 0 {
			return nil, fmt.Errorf("%s: no such file", p)
		}
		slices.Sort(names)
		out = append(out, names...)
	}
	return out, nil
}

// opener returns pcap2table.Options.Open for the inputs: nil when all are
// local (pcap2table opens them itself), else open.
func opener(inputs []string) func(context.Context, string) (io.ReadCloser, error) {
	if slices.ContainsFunc(inputs, remote) {
		return open
	}
	return nil
}

// open opens a local file or one on Beam's file systems.
func open(ctx context.Context, name string) (io.ReadCloser, error) {
	if !remote(name) {
		return os.Open(name)
	}
	fsys, err := filesystem.New(ctx, name)
	if err != nil {
		return nil, err
	}
	r, err := fsys.OpenRead(ctx, name)
	if err != nil {
		fsys.Close()
		return nil, err
	}
	return &fsReader{ReadCloser: r, fs: fsys}, nil
}

// fsReader closes the file system with the file.
type fsReader struct {
	io.ReadCloser
	fs filesystem.Interface
}

func (r *fsReader) Close() error {
	err := r.ReadCloser.Close()
	r.fs.Close()
	return err
}

// join joins a folder (a local path or a URL) and a slash-separated path.
func join(dir, rel string) string {
	if remote(dir) {
		return strings.TrimSuffix(dir, "/") + "/" + rel
	}
	return filepath.Join(dir, filepath.FromSlash(rel))
}

// shardName is where a file a part wrote (rel, in its own output folder)
// goes in the pipeline's output folder: a dataset's
// <table>/date=.../part-NNNNN.parquet becomes part-PPPPP-NNNNN.parquet in
// the same partition; a table's file <table>.parquet becomes
// <table>/part-PPPPP.parquet. A sensor's files go under
// <table>/sensor=NAME/.
func shardName(rel, sensor string, part int) string {
	dir, base := path.Split(rel)
	table, rest := strings.TrimSuffix(base, path.Ext(base)), ""
	if dir != "" {
		table, rest, _ = strings.Cut(dir, "/")
	}
	if sensor != "" {
		table += "/sensor=" + sensor
	}
	if dir == "" {
		return fmt.Sprintf("%s/part-%05d%s", table, part, path.Ext(base))
	}
	return table + "/" + rest + fmt.Sprintf("part-%05d-", part) + strings.TrimPrefix(base, "part-")
}

// publish copies every file a part wrote into tmp to the output folder,
// each under its shard name, but those of the tables skip. A part that
// runs again (a retried bundle) writes the same names over.
func publish(ctx context.Context, tmp, output, sensor string, part int, skip []string) error {
	return filepath.WalkDir(tmp, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(tmp, p)
		if err != nil {
			return err
		}
		if table, _, _ := strings.Cut(strings.TrimSuffix(filepath.ToSlash(rel), filepath.Ext(rel)), "/"); slices.Contains(skip, table) {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return writeFile(ctx, join(output, shardName(filepath.ToSlash(rel), sensor, part)), f)
	})
}

// writeFile writes r's bytes to name, whole or not at all: a local file
// through writers.File (beside its name, renamed when whole); Beam's file
// systems (gs://) make an object visible when it is closed.
func writeFile(ctx context.Context, name string, r io.Reader) error {
	if remote(name) {
		fsys, err := filesystem.New(ctx, name)
		if err != nil {
			return err
		}
		defer fsys.Close()
		w, err := fsys.OpenWrite(ctx, name)
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, r); err != nil {
			w.Close()
			return fmt.Errorf("%s: %w", name, err)
		}
		return w.Close()
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o777); err != nil {
		return err
	}
	// pcap2table's own atomic file: a temporary beside the name, renamed
	// at Commit, swept by the next run if a worker dies before
	f, err := writers.Create(name)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	f.Sync = true
	if _, err := io.Copy(f, r); err != nil {
		f.Abort()
		return fmt.Errorf("%s: %w", name, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
