package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// readRetries is how many times a ranged read is reopened after a
// transient failure, with a growing pause, before its error is returned.
const readRetries = 5

// rangeOpener opens n bytes of an object from off.
type rangeOpener func(off, n int64) (io.ReadCloser, error)

// retryReader streams a byte range, reopening it from where a read failed.
// It holds one response body at a time: memory is what the caller reads.
type retryReader struct {
	ctx       context.Context
	open      rangeOpener
	off, left int64
	body      io.ReadCloser
	fails     int
}

func newRetryReader(ctx context.Context, open rangeOpener, off, length int64) (*retryReader, error) {
	r := &retryReader{ctx: ctx, open: open, off: off, left: length}
	if length > 0 {
		body, err := open(off, length)
		if err != nil {
			return nil, err
		}
		r.body = body
	}
	return r, nil
}

// Read implements io.Reader.
func (r *retryReader) Read(p []byte) (int, error) {
	for {
		if r.left == 0 {
			return 0, io.EOF
		}
		if r.body == nil {
			body, err := r.open(r.off, r.left)
			if err != nil {
				if rerr := r.pause(err); rerr != nil {
					return 0, rerr
				}
				continue
			}
			r.body = body
		}
		n, err := r.body.Read(p[:min(int64(len(p)), r.left)])
		r.off += int64(n)
		r.left -= int64(n)
		if n > 0 {
			r.fails = 0
			return n, nil
		}
		if err == nil {
			continue
		}
		r.body.Close()
		r.body = nil
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("object ended %d bytes early: %w", r.left, io.ErrUnexpectedEOF)
		}
		if rerr := r.pause(err); rerr != nil {
			return 0, rerr
		}
	}
}

// pause counts a failure and waits before the next try, or returns the
// error once the retries are spent or the context is done.
func (r *retryReader) pause(err error) error {
	r.fails++
	if r.fails > readRetries || errors.Is(err, ErrNotFound) {
		return fmt.Errorf("read at byte %d: %w (after %d tries)", r.off, err, r.fails)
	}
	select {
	case <-r.ctx.Done():
		return r.ctx.Err()
	case <-time.After(time.Duration(r.fails*r.fails) * 100 * time.Millisecond):
		return nil
	}
}

// Close implements io.Closer.
func (r *retryReader) Close() error {
	if r.body == nil {
		return nil
	}
	err := r.body.Close()
	r.body = nil
	return err
}

// ReaderAt reads an object at offsets, a ranged GET per call: what the
// planner needs to find line boundaries.
type ReaderAt struct {
	Ctx   context.Context
	Store Store
	Key   string
}

// ReadAt implements io.ReaderAt.
func (r ReaderAt) ReadAt(p []byte, off int64) (int, error) {
	rc, err := r.Store.Open(r.Ctx, r.Key, off, int64(len(p)))
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	n, err := io.ReadFull(rc, p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	return n, err
}
