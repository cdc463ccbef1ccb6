package storage

import (
	"context"
	"errors"
	"io"
)

// Object is a stored object or file: its key (relative to the store's
// root for a directory) and its size.
type Object struct {
	Key  string
	Size int64
}

// ErrNotFound reports a missing object, file or bucket.
var ErrNotFound = errors.New("not found")

// ErrExists reports that a conditional put found the object there already.
var ErrExists = errors.New("already exists")

// Store is one bucket or one directory.
type Store interface {
	// Open returns a streaming reader of length bytes of the object from
	// offset off (length < 0: to its end). A read that fails transiently
	// is retried from where it stopped; memory is bounded by the
	// caller's reads, not by the length.
	Open(ctx context.Context, key string, off, length int64) (io.ReadCloser, error)
	// Stat returns the object's size, or ErrNotFound.
	Stat(ctx context.Context, key string) (Object, error)
	// List returns the objects under a key prefix (a '/'-ended prefix
	// for a "directory"), in key order.
	List(ctx context.Context, prefix string) ([]Object, error)
	// Put writes an object atomically: readers see the old or the whole
	// new object. With ifAbsent, it fails with ErrExists if the object
	// exists (the first put wins).
	Put(ctx context.Context, key string, r io.Reader, ifAbsent bool) error
	// Create starts an upload of key that stays invisible until
	// Complete; Abort discards it.
	Create(ctx context.Context, key string) (Upload, error)
	// Complete makes a pending upload the object.
	Complete(ctx context.Context, p Pending) error
	// Pending lists the uploads under a key prefix that were neither
	// completed nor aborted.
	Pending(ctx context.Context, prefix string) ([]Pending, error)
	// Abort discards a pending upload.
	Abort(ctx context.Context, p Pending) error
	// DeletePrefix removes every object under a key prefix.
	DeletePrefix(ctx context.Context, prefix string) error
}

// Pending is an upload that was closed but not yet completed: what a task
// attempt records in its manifest for the job commit.
type Pending struct {
	Key      string `json:"key"`
	UploadID string `json:"upload_id"`
	// Parts are the ETags of the uploaded parts, part 1 first.
	Parts []string `json:"parts,omitempty"`
}

// Upload is an object being written. Close finishes the upload but leaves
// it pending; Abandon discards it.
type Upload interface {
	io.Writer
	// Close uploads what is buffered and returns the pending upload.
	Close() (Pending, error)
	// Abandon discards the upload after a failure.
	Abandon()
}
