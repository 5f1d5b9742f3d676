package sniff

import (
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"sync"
	"unicode/utf8"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// Kind says what a format is.
type Kind uint8

// Kinds of formats.
const (
	Unknown     Kind = iota
	Capture          // a packet capture the parsers read
	Compressed       // a compression wrapper to unwrap and sniff again
	Other            // a known format that is not a capture
	Unsupported      // a capture format the parsers do not read
)

// Format is one registered format.
type Format struct {
	Name  string // "pcap", "pcapng", "gzip", "Parquet file", ...
	Kind  Kind
	Magic string // '?' matches any byte
	// Offset is where Magic starts in the stream.
	Offset int
	// Open unwraps a Compressed stream within the limits.
	Open func(r *bufio.Reader, lim Limits) (io.ReadCloser, error)
}

var (
	formatsMu sync.Mutex
	formats   []Format
)

// Register adds a format to the registry. Formats registered first win.
func Register(f Format) {
	formatsMu.Lock()
	formats = append(formats, f)
	formatsMu.Unlock()
}

func init() {
	for _, f := range []Format{
		{Name: "pcap", Kind: Capture, Magic: "\xd4\xc3\xb2\xa1"},   // µs, little-endian
		{Name: "pcap", Kind: Capture, Magic: "\xa1\xb2\xc3\xd4"},   // µs, big-endian
		{Name: "pcap", Kind: Capture, Magic: "\x4d\x3c\xb2\xa1"},   // ns, little-endian
		{Name: "pcap", Kind: Capture, Magic: "\xa1\xb2\x3c\x4d"},   // ns, big-endian
		{Name: "pcap", Kind: Capture, Magic: "\x34\xcd\xb2\xa1"},   // Kuznetzov (modified) pcap, LE
		{Name: "pcap", Kind: Capture, Magic: "\xa1\xb2\xcd\x34"},   // Kuznetzov (modified) pcap, BE
		{Name: "pcapng", Kind: Capture, Magic: "\x0a\x0d\x0d\x0a"}, // section header block
		{Name: "gzip", Kind: Compressed, Magic: "\x1f\x8b", Open: openGzip},
		{Name: "zstd", Kind: Compressed, Magic: "\x28\xb5\x2f\xfd", Open: openZstd},
		{Name: "xz", Kind: Compressed, Magic: "\xfd7zXZ\x00", Open: openXz},
		{Name: "bzip2", Kind: Compressed, Magic: "BZh", Open: openBzip2},
		{Name: "Parquet file", Kind: Other, Magic: "PAR1"},
		{Name: "Arrow IPC file", Kind: Other, Magic: "ARROW1"},
		{Name: "Arrow IPC stream", Kind: Other, Magic: "\xff\xff\xff\xff????\x10\x00\x00\x00"},
		{Name: "snoop", Kind: Capture, Magic: "snoop\x00\x00\x00"}, // Solaris, RFC 1761
		{Name: "ERF", Kind: Unsupported, Magic: "\x00\x00\x00\x00\x00\x00\x00\x00\x01"},
		{Name: "zip archive", Kind: Other, Magic: "PK\x03\x04"},
		{Name: "ELF executable", Kind: Other, Magic: "\x7fELF"},
		{Name: "PDF document", Kind: Other, Magic: "%PDF"},
		{Name: "PNG image", Kind: Other, Magic: "\x89PNG"},
		{Name: "SQLite database", Kind: Other, Magic: "SQLite format 3\x00"},
		{Name: "tar archive", Kind: Other, Magic: "ustar", Offset: 257},
	} {
		Register(f)
	}
}

// PeekSize is how many bytes Detect needs to see every registered magic.
const PeekSize = 512

func match(magic string, b []byte) bool {
	if len(b) < len(magic) {
		return false
	}
	for i := 0; i < len(magic); i++ {
		if magic[i] != '?' && magic[i] != b[i] {
			return false
		}
	}
	return true
}

// Detect returns the registered format that head starts with. The zero
// Format (Kind Unknown) means no magic matched.
func Detect(head []byte) Format {
	formatsMu.Lock()
	defer formatsMu.Unlock()
	for _, f := range formats {
		if f.Offset <= len(head) && match(f.Magic, head[f.Offset:]) {
			return f
		}
	}
	return Format{}
}

// NotCaptureError says that a stream is not a capture the parsers read,
// and what it looks like.
type NotCaptureError struct {
	Looks string // "Parquet file", "text", "empty file", "bytes 00 01 ...", or the capture format
	// Unsupported: Looks names a capture format the parsers do not read.
	Unsupported bool
}

func (e *NotCaptureError) Error() string {
	if e.Unsupported {
		return "unsupported capture format " + e.Looks + ": convert it to pcap or pcapng (editcap -F pcapng IN OUT)"
	}
	return "not a capture: " + e.Looks
}

// Describe says in a few words what head looks like, for an error message.
func Describe(head []byte) string {
	if len(head) == 0 {
		return "empty file"
	}
	if f := Detect(head); f.Kind != Unknown {
		return f.Name
	}
	if looksText(head) {
		return "text"
	}
	n := min(len(head), 8)
	return fmt.Sprintf("first bytes % x", head[:n])
}

func looksText(b []byte) bool {
	if len(b) > 256 {
		b = b[:256]
	}
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			return len(b) < 4 // a rune cut by the window end is fine
		}
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' {
			return false
		}
		b = b[size:]
	}
	return true
}

// Stream is an opened capture stream: the decompressed bytes, buffered.
type Stream struct {
	*bufio.Reader
	Format   Format   // the capture format: "pcap" or "pcapng"
	Wrappers []string // compression layers unwrapped, outermost first
	closers  []io.Closer
}

// Close releases the decompressors. It does not close the underlying reader.
func (s *Stream) Close() error {
	var err error
	for i := len(s.closers) - 1; i >= 0; i-- {
		err = errors.Join(err, s.closers[i].Close())
	}
	s.closers = nil
	return err
}

// maxWrappers bounds nested compression (a .gz of a .gz of ...).
const maxWrappers = 4

// Limits bound the memory decompressing a stream may take.
type Limits struct {
	// ZstdWindow is the largest zstd window (the history a frame may
	// refer back to, which the decoder holds) accepted; 0:
	// DefaultZstdWindow. zstd --long=N writes windows of 2^N bytes.
	ZstdWindow int64
}

// DefaultZstdWindow bounds a zstd window unless Limits say otherwise: zstd
// writes 8 MiB at most by default; larger come from --long or high levels.
const DefaultZstdWindow = 128 << 20

// WindowError says that a zstd stream needs a larger window than allowed.
type WindowError struct {
	Need  int64 // 0 when the frame that needs it did not say how much
	Limit int64
}

func (e *WindowError) Error() string {
	need := "a larger window"
	if e.Need > 0 {
		need = fmt.Sprintf("a %d MiB window", (e.Need+1<<20-1)>>20)
	}
	return fmt.Sprintf("the stream needs %s (written with zstd --long), more than the %d MiB allowed: "+
		"raise the limit (pcap2table --zstd-max-window) or decompress it first (zstd -dc --long=31 FILE | pcap2table -)", need, e.Limit>>20)
}

// Open sniffs r, unwraps compression, and returns a buffered stream of the
// capture with bufSize bytes of buffer. It returns a *NotCaptureError when
// the bytes are not a capture.
func Open(r io.Reader, bufSize int) (*Stream, error) { return OpenLimits(r, bufSize, Limits{}) }

// OpenLimits is Open with limits on decompression.
func OpenLimits(r io.Reader, bufSize int, lim Limits) (*Stream, error) {
	if lim.ZstdWindow <= 0 {
		lim.ZstdWindow = DefaultZstdWindow
	}
	s := &Stream{}
	for depth := 0; ; depth++ {
		br := bufio.NewReaderSize(r, bufSize)
		head, err := br.Peek(PeekSize)
		if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
			s.Close()
			return nil, err
		}
		f := Detect(head)
		switch f.Kind {
		case Capture:
			s.Reader, s.Format = br, f
			return s, nil
		case Compressed:
			if depth >= maxWrappers {
				s.Close()
				return nil, &NotCaptureError{Looks: fmt.Sprintf("more than %d nested compression layers", maxWrappers)}
			}
			rc, err := f.Open(br, lim)
			if err != nil {
				s.Close()
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			s.closers = append(s.closers, rc)
			s.Wrappers = append(s.Wrappers, f.Name)
			r = rc
		case Unsupported:
			s.Close()
			return nil, &NotCaptureError{Looks: f.Name, Unsupported: true}
		default:
			s.Close()
			looks := Describe(head)
			if len(s.Wrappers) > 0 {
				looks += " inside " + s.Wrappers[len(s.Wrappers)-1]
			}
			return nil, &NotCaptureError{Looks: looks}
		}
	}
}

func openGzip(r *bufio.Reader, _ Limits) (io.ReadCloser, error) { return gzip.NewReader(r) }

// openZstd opens a zstd stream whose window is within the limit: a hostile
// frame cannot make the decoder hold more. A first frame that needs more
// is refused at once, with what it needs; a later one fails its reads.
func openZstd(r *bufio.Reader, lim Limits) (io.ReadCloser, error) {
	var h zstd.Header
	if b, _ := r.Peek(zstd.HeaderMaxSize); h.Decode(b) == nil {
		need := int64(h.WindowSize)
		if h.SingleSegment {
			need = int64(h.FrameContentSize) // the whole frame is its window
		}
		if need > lim.ZstdWindow {
			return nil, &WindowError{Need: need, Limit: lim.ZstdWindow}
		}
	}
	d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(uint64(lim.ZstdWindow)),
		zstd.WithDecoderMaxMemory(max(uint64(lim.ZstdWindow), 64<<30)))
	if err != nil {
		return nil, err
	}
	return &zstdReader{d.IOReadCloser(), lim.ZstdWindow}, nil
}

// zstdReader turns a later frame's window error into a WindowError.
type zstdReader struct {
	io.ReadCloser
	limit int64
}

func (z *zstdReader) Read(b []byte) (int, error) {
	n, err := z.ReadCloser.Read(b)
	if errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded) {
		err = &WindowError{Limit: z.limit}
	}
	return n, err
}

func openXz(r *bufio.Reader, _ Limits) (io.ReadCloser, error) {
	x, err := xz.NewReader(r)
	if err != nil {
		return nil, err
	}
	return io.NopCloser(x), nil
}

func openBzip2(r *bufio.Reader, _ Limits) (io.ReadCloser, error) {
	return io.NopCloser(bzip2.NewReader(r)), nil
}
