package pcap2table

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pcap2table/pcap2table/parsers/capture"
	"github.com/pcap2table/pcap2table/sniff"
)

// input is one capture of the run. A file is read twice: once at the
// start (lookAhead: its format, header and first packet, then closed, so
// that a bad input is refused before anything is written) and again from
// its start when the merge's clock reaches its first packet (open),
// closed at its end: thousands of rotated captures hold a few files open
// at once, not thousands. A live input (stdin, a pipe) cannot be read
// twice: it stays open from the start.
type input struct {
	name  string // as the user gave it
	index int    // in the run's list of captures (Packet.File)
	info  *capture.Info
	first int64 // the time of its first packet
	// none: the file has no packet; firstErr: it is cut short or corrupt
	// at its first packet
	none     bool
	firstErr error
	live     bool

	// while open
	closer io.Closer
	stream *sniff.Stream
	reader capture.Reader
}

// skippedInput is an input that is not a capture (or is a folder).
type skippedInput struct {
	name string
	err  error // names the input
}

// openInputs looks at every input before anything is written, so that a
// bad input is refused without leaving an output behind. An input that is
// not a capture (or is a folder) is skipped when others are: it is
// returned in skipped; when none is a capture, its error is returned.
// Only live inputs are open when it returns.
func openInputs(ctx context.Context, names []string, o *Options) (ins []*input, skipped []skippedInput, err error) {
	stdinUsed := false
	for _, name := range names {
		if name == "-" {
			if stdinUsed {
				closeInputs(ins)
				return nil, nil, usagef("stdin (-) given twice")
			}
			stdinUsed = true
		}
		in := &input{name: name, index: len(ins)}
		err := in.lookAhead(ctx, o)
		var nc *sniff.NotCaptureError
		switch {
		case errors.As(err, &nc):
			skipped = append(skipped, skippedInput{name, err})
		case err != nil:
			closeInputs(ins)
			return nil, nil, err
		default:
			ins = append(ins, in)
		}
	}
	if len(ins) == 0 {
		return nil, nil, skipped[0].err
	}
	return ins, skipped, nil
}

// lookAhead opens the input, reads its header and first packet, and,
// unless it is live, closes it again.
func (in *input) lookAhead(ctx context.Context, o *Options) error {
	if err := in.open(ctx, o, true); err != nil {
		return err
	}
	in.info = in.reader.Info()
	var p capture.Packet
	switch err := in.reader.Next(&p); {
	case err == io.EOF:
		in.none = true
	case err != nil:
		in.firstErr = err
	default:
		in.first = p.Timestamp
	}
	if !in.live {
		in.close()
		return nil
	}
	// a live input goes on from its first packet: read it again from a
	// reader that replays it
	in.reader = &replay{Reader: in.reader, first: p, err: in.firstErr, none: in.none}
	return nil
}

// source is the input as the merge reads it: open already (live), or
// opened when its first packet's time comes.
func (in *input) source(ctx context.Context, o *Options) capture.Input {
	if in.live {
		return capture.Input{Src: in.reader, Close: in.close}
	}
	return capture.Input{
		First: in.first,
		Open: func() (capture.Source, error) {
			if err := in.open(ctx, o, false); err != nil {
				return nil, err
			}
			in.info = in.reader.Info()
			return in.reader, nil
		},
		Close: in.close,
	}
}

// open opens and sniffs the input and reads its capture header. ahead:
// the look ahead (the progress counts the bytes of the second reading
// only).
func (in *input) open(ctx context.Context, o *Options, ahead bool) error {
	var r io.Reader
	if in.name == "-" {
		r = o.Stdin
		if r == nil {
			r = os.Stdin
		}
		in.live = true
	} else if o.Open != nil {
		rc, err := o.Open(ctx, in.name)
		if err != nil {
			return fmt.Errorf("%s: %w", in.name, err)
		}
		in.closer, r = rc, rc
	} else {
		f, err := os.Open(in.name)
		if err != nil {
			return err
		}
		st, err := f.Stat()
		switch {
		case err != nil:
			f.Close()
			return err
		case st.IsDir():
			f.Close()
			return fmt.Errorf("%s: %w", in.name, &sniff.NotCaptureError{Looks: "a folder"})
		case !st.Mode().IsRegular():
			in.live = true // a named pipe or a device
		case ahead && o.Progress != nil:
			o.Progress.BytesTotal.Add(st.Size())
		}
		in.closer, r = f, f
	}
	if in.live {
		r = interruptible(ctx, r)
	}
	if o.Progress != nil && (in.live || !ahead) {
		r = &countingReader{r: r, p: o.Progress}
	}
	s, err := sniff.OpenLimits(r, capture.ReadBufferSize, sniff.Limits{ZstdWindow: o.ZstdMaxWindow})
	if err != nil {
		in.close()
		var nc *sniff.NotCaptureError
		if errors.As(err, &nc) {
			// its first bytes say what it is: the offset is 0
			return fmt.Errorf("%s: offset 0: %w", in.name, err)
		}
		return fmt.Errorf("%s: %w", in.name, err)
	}
	in.stream = s
	if in.reader, err = capture.Open(s, in.index, in.name); err != nil {
		in.close()
		return err
	}
	return nil
}

func (in *input) close() {
	if in.stream != nil {
		in.stream.Close()
		in.stream = nil
	}
	if in.closer != nil {
		in.closer.Close()
		in.closer = nil
	}
}

func closeInputs(ins []*input) {
	for _, in := range ins {
		in.close()
	}
}

// replay is a live input's reader, which gives the packet (or the end, or
// the error) read ahead before the rest.
type replay struct {
	capture.Reader
	first    capture.Packet
	err      error
	none     bool
	replayed bool
}

func (r *replay) Next(p *capture.Packet) error {
	if !r.replayed {
		r.replayed = true
		switch {
		case r.none:
			return io.EOF
		case r.err != nil:
			return r.err
		}
		*p = r.first
		return nil
	}
	return r.Reader.Next(p)
}

// errStopped ends the reads of a live input when the run is interrupted.
var errStopped = errors.New("stopped")

// interruptible reads r on its own goroutine through a pipe, so that a
// read blocked on an idle live input ends when ctx is done.
func interruptible(ctx context.Context, r io.Reader) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		buf := make([]byte, 256<<10)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				if _, werr := pw.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
		}
	}()
	context.AfterFunc(ctx, func() { pr.CloseWithError(errStopped) })
	return pr
}

type countingReader struct {
	r io.Reader
	p *Progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.BytesRead.Add(int64(n))
	return n, err
}
