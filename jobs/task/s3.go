package task

import (
	"context"
	"fmt"
	"io"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/storage"
)

// abortUploads aborts the pending uploads of an attempt that did not
// commit: it lost to another attempt, or failed committing. The job commit
// aborts those of attempts that never got this far.
func (a *attempt) abortUploads() {
	if len(a.manifest.Uploads) == 0 {
		return
	}
	s, err := storage.NewS3(a.trace, a.plan.OutputLocation().Bucket)
	if err != nil {
		return
	}
	for _, u := range a.manifest.Uploads {
		_ = s.Abort(context.WithoutCancel(a.trace), u) // the job commit aborts what is left
	}
}

// openS3Split opens the byte range of an object that a split covers, a
// ranged GET streamed and retried where a read fails.
func openS3Split(ctx context.Context, loc storage.Location, s jobs.Split) (io.ReadCloser, error) {
	st, err := storage.NewS3(ctx, loc.Bucket)
	if err != nil {
		return nil, fmt.Errorf("open input: %w", err)
	}
	rc, err := st.Open(ctx, loc.Key, s.Offset, s.Length)
	if err != nil {
		return nil, fmt.Errorf("open input: %w", err)
	}
	return rc, nil
}

// readS3Range reads the byte range of an object into memory: what a
// TeraSort map sorts in place (from a file, a mapping of its pages).
func readS3Range(ctx context.Context, loc storage.Location, off, length int64) ([]byte, func(), error) {
	rc, err := openS3Split(ctx, loc, jobs.Split{Offset: off, Length: length})
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	data := make([]byte, length)
	if _, err := io.ReadFull(rc, data); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", loc, err)
	}
	return data, func() {}, nil
}

// readSplit returns the bytes of a split: a mapping of a file's pages, or
// an object's range read into memory.
func (a *attempt) readSplit(s jobs.Split) ([]byte, func(), error) {
	if loc, err := storage.Parse("input", s.Path); err == nil && loc.IsS3() {
		return readS3Range(a.trace, loc, s.Offset, s.Length)
	}
	return mapRange(s.Path, s.Offset, s.Length)
}
