package writers

import (
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/format"
)

// zstdCodec is parquet-go's zstd codec with a window sized to a page.
// parquet-go's own encoders keep the default 8 MiB window, and with it a
// 16 MiB history buffer per encoder (one per encoding goroutine), though
// each page is compressed alone and is about 256 KiB: that memory was a
// sixth of a flows-only run's, and on a machine where first touching
// memory is slow, a sixth of its time. A 1 MiB window loses no match
// within a page.
//
// The encoders of a level are shared by every writer of the process: a
// writer's columns flush their pages one by one on the cores there are,
// so a pool per writer held encoders (about 1 MiB of history each) that
// another writer's flushes could have used.
type zstdCodec struct {
	level zstd.EncoderLevel
}

const zstdWindow = 1 << 20

var (
	zstdEncoders [zstd.SpeedBestCompression + 1]sync.Pool // *zstd.Encoder, by level
	zstdDecoders sync.Pool                                // *zstd.Decoder
)

func (c *zstdCodec) String() string { return "ZSTD" }

func (c *zstdCodec) CompressionCodec() format.CompressionCodec { return format.Zstd }

func (c *zstdCodec) Encode(dst, src []byte) ([]byte, error) {
	pool := &zstdEncoders[c.level]
	e, _ := pool.Get().(*zstd.Encoder)
	if e == nil {
		var err error
		e, err = zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(c.level),
			zstd.WithZeroFrames(true), zstd.WithEncoderCRC(false),
			zstd.WithWindowSize(zstdWindow), zstd.WithLowerEncoderMem(true))
		if err != nil {
			return dst, err
		}
	}
	defer pool.Put(e)
	return e.EncodeAll(src, dst[:0]), nil
}

func (c *zstdCodec) Decode(dst, src []byte) ([]byte, error) {
	d, _ := zstdDecoders.Get().(*zstd.Decoder)
	if d == nil {
		var err error
		d, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return dst, err
		}
	}
	defer zstdDecoders.Put(d)
	return d.DecodeAll(src, dst[:0])
}
