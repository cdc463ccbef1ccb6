package task

import (
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"

	"github.com/dockmr/dockmr/jobs"
)

// decompress returns a reader of the data that r holds compressed with c,
// and a function that frees the decoder. Its errors name the file and the
// codec, so that a file whose name claims a codec it does not hold fails
// the task clearly.
func decompress(r io.Reader, c jobs.Codec, path string) (io.Reader, func(), error) {
	bad := func(err error) error {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("input %s is not valid %s data (its name ends in %s): %w; rename it if it is not compressed", path, c, c.Ext(), err)
	}
	var dec io.Reader
	free := func() {}
	switch c {
	case jobs.NoCodec:
		return r, free, nil
	case jobs.Gzip:
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, bad(err)
		}
		dec, free = z, func() { z.Close() }
	case jobs.Bzip2:
		dec = bzip2.NewReader(r)
	case jobs.Zstd:
		z, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, nil, bad(err)
		}
		dec, free = z, z.Close
	default:
		return nil, nil, fmt.Errorf("input %s: codec %q is not supported", path, c)
	}
	return &checkedReader{r: dec, bad: bad}, free, nil
}

// checkedReader passes a decoder's data through and describes its errors.
type checkedReader struct {
	r   io.Reader
	bad func(error) error
}

// Read reads decompressed bytes.
func (c *checkedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = c.bad(err)
	}
	return n, err
}

// compressor returns a writer that compresses into w with c, or nil for
// NoCodec. Closing it flushes the compressed stream but does not close w.
func compressor(w io.Writer, c jobs.Codec) (io.WriteCloser, error) {
	switch c {
	case jobs.NoCodec:
		return nil, nil
	case jobs.Gzip:
		return gzip.NewWriterLevel(w, gzip.DefaultCompression)
	case jobs.Zstd:
		return zstd.NewWriter(w, zstd.WithEncoderConcurrency(1))
	}
	return nil, fmt.Errorf("output codec %q is not supported: use %q or %q", c, jobs.Gzip, jobs.Zstd)
}
