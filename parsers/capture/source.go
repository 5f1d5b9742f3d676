package capture

import (
	"errors"
	"fmt"
	"io"

	"github.com/gopacket/gopacket/layers"
	"github.com/pcap2table/pcap2table/sniff"
)

// Packet is one captured packet. Data is valid until the next call to Next
// on the source that produced it.
type Packet struct {
	Data      []byte
	Timestamp int64 // ns since the Unix epoch, UTC
	CapLen    uint32
	Length    uint32 // original length on the wire
	Interface uint32 // pcapng interface id (global across sections); 0 for pcap
	LinkType  layers.LinkType
	Frame     uint64 // 1-based index within its file (tshark's frame.number)
	File      int    // index into the list of inputs
	Offset    int64  // byte offset of the packet's record in the (decompressed) file
	// NoTimestamp is set for pcapng simple packet blocks, which have none
	// (Timestamp is then 0).
	NoTimestamp bool
	// TimeOutOfRange is set when the packet's timestamp lies outside what
	// a timestamp[ns] holds (before 1677-09-21 or after 2262-04-11), as a
	// pcapng timestamp or if_tsoffset can: Timestamp is then 0, not a
	// time.
	TimeOutOfRange bool
}

// Source yields packets. Next returns io.EOF at the end of the input, and a
// *InputError when the input is cut short or corrupt: every packet before
// it was whole.
type Source interface {
	Next(p *Packet) error
}

// MaxCapLen is the largest caplen accepted (as libpcap and Wireshark).
// A larger record length means the file is corrupt.
const MaxCapLen = 256 << 10

// maxBlockLen bounds a pcapng block (as Wireshark).
const maxBlockLen = 16 << 20

// ReadBufferSize is the read buffer of every source (a 4 KiB buffer is
// measured 3x slower).
const ReadBufferSize = 1 << 20

// Errors wrapped by InputError.
var (
	ErrTruncated   = errors.New("cut short")
	ErrCorrupt     = errors.New("corrupt")
	ErrUnsupported = errors.New("unsupported")
)

// InputError is a problem with an input at a byte offset. Packets read
// before it are good.
type InputError struct {
	File   string
	Offset int64 // in the decompressed stream
	Err    error // wraps ErrTruncated, ErrCorrupt or ErrUnsupported
}

func (e *InputError) Error() string {
	return fmt.Sprintf("%s: offset %d: %v", e.File, e.Offset, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

// Info describes an opened source.
type Info struct {
	Name      string // file name as given ("-" for stdin)
	Format    string // "pcap", "pcapng", "snoop"
	Detail    string // byte order, timestamp precision, version
	Wrappers  []string
	SnapLen   uint32
	LinkTypes []layers.LinkType // of the file header or interfaces seen so far
	// Interfaces describes a pcapng file's interfaces read so far, by
	// Packet.Interface (every section's, in order); nil for other formats.
	Interfaces []Interface
}

// Interface is what a pcapng interface description block says of its
// interface (pcap2table extract writes it back).
type Interface struct {
	LinkType                            layers.LinkType
	SnapLen                             uint32
	Name, Description, Filter, OS, Note string // if_name, if_description, if_filter (a libpcap string), if_os, opt_comment
}

// Reader is a Source over one capture stream.
type Reader interface {
	Source
	Info() *Info
}

// Open reads the capture header of stream and returns a Reader for it.
// file is the input's index, recorded in every Packet, and name is used in
// errors.
func Open(stream *sniff.Stream, file int, name string) (Reader, error) {
	br := byteReader{r: stream.Reader, name: name}
	info := &Info{Name: name, Format: stream.Format.Name, Wrappers: stream.Wrappers}
	switch stream.Format.Name {
	case "pcap":
		return newPcapReader(br, file, info)
	case "pcapng":
		return newNgReader(br, file, info)
	case "snoop":
		return newSnoopReader(br, file, info)
	}
	return nil, fmt.Errorf("%s: %w", name, &sniff.NotCaptureError{Looks: stream.Format.Name})
}

// byteReader is a bufio.Reader that counts the bytes consumed.
type byteReader struct {
	r interface {
		Peek(int) ([]byte, error)
		Discard(int) (int, error)
		Read([]byte) (int, error)
		Buffered() int
	}
	off  int64
	name string
}

// peek returns the next n bytes without consuming them; a short read at the
// end of the input is reported as io.ErrUnexpectedEOF (io.EOF when nothing
// is left at all).
func (b *byteReader) peek(n int) ([]byte, error) {
	p, err := b.r.Peek(n)
	if len(p) == n {
		return p, nil
	}
	if err == io.EOF {
		if len(p) == 0 {
			return nil, io.EOF
		}
		return p, io.ErrUnexpectedEOF
	}
	return p, err
}

func (b *byteReader) discard(n int) error {
	m, err := b.r.Discard(n)
	b.off += int64(m)
	if m < n {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	return nil
}

func (b *byteReader) errf(off int64, kind error, format string, args ...any) error {
	return &InputError{File: b.name, Offset: off, Err: fmt.Errorf("%w: "+format, append([]any{kind}, args...)...)}
}
