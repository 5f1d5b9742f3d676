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

// input is one capture being read.
type input struct {
	name   string // as the user gave it
	closer io.Closer
	stream *sniff.Stream
	reader capture.Reader
	// live: stdin, a pipe or a device; its reads may block for as long as
	// the capture is idle.
	live bool
}

// skippedInput is an input that is not a capture (or is a folder).
type skippedInput struct {
	name string
	err  error // names the input
}

// openInputs opens and sniffs every input before anything is written, so
// that a bad input is refused without leaving an output behind. An input
// that is not a capture (or is a folder) is skipped when others are: it
// is returned in skipped; when none is a capture, its error is returned.
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
		in, err := openInput(ctx, name, len(ins), o)
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

// openInput opens one input, the index-th capture of the run.
func openInput(ctx context.Context, name string, index int, o *Options) (*input, error) {
	var r io.Reader
	in := &input{name: name}
	if name == "-" {
		r = o.Stdin
		if r == nil {
			r = os.Stdin
		}
		in.live = true
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		st, err := f.Stat()
		switch {
		case err != nil:
			f.Close()
			return nil, err
		case st.IsDir():
			f.Close()
			return nil, fmt.Errorf("%s: %w", name, &sniff.NotCaptureError{Looks: "a folder"})
		case !st.Mode().IsRegular():
			in.live = true // a named pipe or a device
		case o.Progress != nil:
			o.Progress.BytesTotal.Add(st.Size())
		}
		in.closer, r = f, f
	}
	if in.live {
		r = interruptible(ctx, r)
	}
	if o.Progress != nil {
		r = &countingReader{r: r, p: o.Progress}
	}
	s, err := sniff.Open(r, capture.ReadBufferSize)
	if err != nil {
		in.close()
		var nc *sniff.NotCaptureError
		if errors.As(err, &nc) {
			// its first bytes say what it is: the offset is 0
			return nil, fmt.Errorf("%s: offset 0: %w", name, err)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	in.stream = s
	if in.reader, err = capture.Open(s, index, name); err != nil {
		in.close()
		return nil, err
	}
	return in, nil
}

func (in *input) close() {
	if in.stream != nil {
		in.stream.Close()
	}
	if in.closer != nil {
		in.closer.Close()
	}
}

func closeInputs(ins []*input) {
	for _, in := range ins {
		in.close()
	}
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
