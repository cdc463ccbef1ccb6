package storage

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// flakyBody returns some bytes, then fails.
type flakyBody struct {
	r    io.Reader
	left int
}

func (b *flakyBody) Read(p []byte) (int, error) {
	if b.left == 0 {
		return 0, errors.New("connection reset by peer")
	}
	n, err := b.r.Read(p[:min(len(p), b.left)])
	b.left -= n
	return n, err
}

func (b *flakyBody) Close() error { return nil }

func TestRetryReaderResumes(t *testing.T) {
	data := "abcdefghijklmnopqrstuvwxyz"
	opens := 0
	open := func(off, n int64) (io.ReadCloser, error) {
		opens++
		return &flakyBody{r: strings.NewReader(data[off : off+n]), left: 5}, nil
	}
	r, err := newRetryReader(context.Background(), open, 2, 20)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != data[2:22] {
		t.Errorf("read %q, want %q", got, data[2:22])
	}
	if opens != 4 {
		t.Errorf("opened %d times, want 4 (5 bytes a body)", opens)
	}
}

func TestRetryReaderGivesUp(t *testing.T) {
	if testing.Short() {
		t.Skip("waits through the retries' pauses")
	}
	open := func(off, n int64) (io.ReadCloser, error) {
		return &flakyBody{r: strings.NewReader(""), left: 0}, nil
	}
	r, _ := newRetryReader(context.Background(), open, 0, 10)
	if _, err := io.ReadAll(r); err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("err = %v, want the last failure", err)
	}
}
