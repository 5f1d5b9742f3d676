package pcap2table

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Convert converts the inputs to the requested tables in one pass. It
// returns the stats and nil, or an error wrapping ErrPartial (some input
// was damaged, or was not a capture and was skipped: the outputs are
// complete for what could be read), ErrInterrupted (ctx was canceled: the
// outputs are valid and hold what was converted), or another error (no
// output file is left behind; a *UsageError when the options are wrong).
func Convert(ctx context.Context, inputs []string, o Options) (*Stats, error) {
	if len(inputs) == 0 {
		return nil, usagef("no input")
	}
	p, err := makePlan(&o)
	if err != nil {
		return nil, err
	}
	if err := checkOverwrite(inputs, p, &o); err != nil {
		return nil, err
	}
	db, err := openEnrich(o.GeoIP, o.ASN, p)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	o.Flows = withEnrich(o.Flows, db)
	ins, skipped, err := openInputs(ctx, inputs, &o)
	if err != nil {
		return nil, err
	}
	defer closeInputs(ins)
	warnSkipped(&o, skipped)
	var made []string // the folders this run created: a failed run removes them
	if p.folder {
		if made, err = makeDirs(o.Output); err != nil {
			return nil, err
		}
	}
	live := false
	for _, in := range ins {
		live = live || in.live
	}
	var sinks []*sink
	for i, t := range p.tables {
		sk, err := newSink(t, p.cols[i], p, &o, live)
		if err != nil {
			abortSinks(sinks)
			removeDirs(made)
			return nil, err
		}
		sinks = append(sinks, sk)
	}
	pl, err := newPipeline(ctx, ins, &o, p, sinks)
	if err != nil {
		abortSinks(sinks)
		removeDirs(made)
		return nil, err
	}
	st, err := pl.end(pl.run(), skipped)
	if err != nil && !errors.Is(err, ErrPartial) && !errors.Is(err, ErrInterrupted) {
		removeDirs(made) // the outputs were removed: so are the folders made for them
	}
	return st, err
}

// makeDirs creates dir and the parents it lacks, and returns those it
// created, the deepest first.
func makeDirs(dir string) ([]string, error) {
	var missing []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || filepath.Dir(d) == d {
			break
		}
		missing = append(missing, d)
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, err
	}
	return missing, nil
}

// removeDirs removes the folders a failed run created, those left empty.
func removeDirs(dirs []string) {
	for _, d := range dirs {
		os.Remove(d) // fails, harmlessly, on a folder that is not empty
	}
}

// Scan reads and decodes the inputs without writing a table, for stats.
func Scan(ctx context.Context, inputs []string, o Options) (*Stats, error) {
	if len(inputs) == 0 {
		return nil, usagef("no input")
	}
	o.Jobs = 1
	ins, skipped, err := openInputs(ctx, inputs, &o)
	if err != nil {
		return nil, err
	}
	defer closeInputs(ins)
	warnSkipped(&o, skipped)
	pl, err := newPipeline(ctx, ins, &o, &plan{jobs: 1, rows: DefaultBatchRows}, nil)
	if err != nil {
		return nil, err
	}
	return pl.end(pl.run(), skipped)
}

func warnSkipped(o *Options, skipped []skippedInput) {
	if o.OnWarning == nil {
		return
	}
	for _, s := range skipped {
		o.OnWarning(fmt.Errorf("%w (skipped)", s.err))
	}
}

func abortSinks(sinks []*sink) {
	for _, sk := range sinks {
		sk.stop()
		sk.abort()
	}
}

// end finishes the outputs after the run: they are committed (valid) in
// every outcome but a read or write error, which removes them. rerr is
// what stopped the reading.
func (pl *pipeline) end(rerr error, skipped []skippedInput) (*Stats, error) {
	var werr error
	for _, sk := range pl.sinks {
		if err := sk.close(); err != nil && werr == nil {
			werr = err
		}
	}
	st := pl.stats()
	partial := pl.partial
	for _, s := range skipped {
		st.Files = append(st.Files, &FileStats{Name: s.name, Error: s.err.Error(), DecodeErrs: map[string]uint64{}})
		partial = append(partial, s.err)
	}
	if werr == nil && rerr == nil {
		for _, sk := range pl.sinks {
			if err := sk.commit(); err != nil && werr == nil {
				werr = err
			}
		}
	}
	for _, sk := range pl.sinks {
		st.Tables = append(st.Tables, sk.stats())
	}
	if werr != nil || rerr != nil {
		abortSinks(pl.sinks)
		return st, cmp.Or(werr, rerr)
	}
	switch {
	case pl.ctx.Err() != nil:
		return st, fmt.Errorf("%w after %d packets", ErrInterrupted, st.Total.Packets)
	case len(partial) > 0:
		return st, fmt.Errorf("%w: %w", ErrPartial, errors.Join(partial...))
	}
	return st, nil
}
