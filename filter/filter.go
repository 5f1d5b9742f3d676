package filter

import (
	"errors"

	"github.com/gopacket/gopacket/layers"
)

// Filter is a compiled capture filter. It is safe for concurrent use.
type Filter struct {
	expr  string
	progs [nLinkKinds]predFunc
	errs  [nLinkKinds]error
}

// Compile parses a filter in tcpdump's language (pcap-filter(7)). An
// empty expression matches every packet. Errors are one line, saying
// where: `filter: at "xyz": unknown word`.
//
// Primitives that libpcap refuses on some link types only (ether host on
// Linux cooked captures, vlan on raw IP, ...) do not make Compile fail:
// the filter then matches no packet of those link types (see
// LinkTypeError). Compile fails if the filter can match on none of the
// supported link types.
func Compile(expr string) (*Filter, error) {
	n, err := parse(expr)
	if err != nil {
		return nil, err
	}
	f := &Filter{expr: expr}
	ok := false
	for lk := linkKind(0); lk < nLinkKinds; lk++ {
		g := newGen(lk)
		p := g.compile(n)
		if g.err != nil {
			f.errs[lk] = g.err
			p = prFalse
		} else if lk != lkUnknown {
			ok = true
		}
		f.progs[lk] = p.fn()
	}
	if !ok {
		return nil, f.errs[lkEther]
	}
	return f, nil
}

// MustCompile is Compile for expressions known to be valid; it panics
// on an error.
func MustCompile(expr string) *Filter {
	f, err := Compile(expr)
	if err != nil {
		panic(err)
	}
	return f
}

// String returns the expression the filter was compiled from.
func (f *Filter) String() string { return f.expr }

// Match reports whether the frame data (the captured bytes, starting
// with the link-layer header of linkType) passes the filter; wireLen is
// the packet's length on the wire (what "len", "less" and "greater"
// test). A field the filter needs that lies past the captured bytes
// rejects the packet, as BPF does. Match does not allocate.
func (f *Filter) Match(data []byte, linkType layers.LinkType, wireLen uint32) bool {
	return f.progs[kindOf(linkType)](data, wireLen) == rTrue
}

// LinkTypeError returns why the filter matches no packet of linkType
// when tcpdump would refuse to compile it for that link type (or the
// link type is not supported and the filter needs its layers), and nil
// otherwise.
func (f *Filter) LinkTypeError(linkType layers.LinkType) error {
	return f.errs[kindOf(linkType)]
}

// ErrUnsupportedLinkType is wrapped by LinkTypeError for link types this
// package does not decode.
var ErrUnsupportedLinkType = errors.New("link type not supported")
