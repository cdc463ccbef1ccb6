package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Dir is a Store over a local or shared directory: keys are '/'-separated
// paths under Root. Pending uploads are files under Root/.uploads, renamed
// into place by Complete.
type Dir struct {
	Root string
}

var _ Store = Dir{}

// uploadsDir holds a Dir's pending uploads.
const uploadsDir = ".uploads"

func (d Dir) path(key string) string { return filepath.Join(d.Root, filepath.FromSlash(key)) }

func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", ErrNotFound, err)
	}
	return err
}

// Open implements Store.
func (d Dir) Open(_ context.Context, key string, off, length int64) (io.ReadCloser, error) {
	f, err := os.Open(d.path(key))
	if err != nil {
		return nil, notFound(err)
	}
	if length < 0 {
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		length = max(0, st.Size()-off)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.NewSectionReader(f, off, length), f}, nil
}

// Stat implements Store.
func (d Dir) Stat(_ context.Context, key string) (Object, error) {
	st, err := os.Stat(d.path(key))
	if err != nil {
		return Object{}, notFound(err)
	}
	if !st.Mode().IsRegular() {
		return Object{}, fmt.Errorf("%s: %w (not a regular file)", d.path(key), ErrNotFound)
	}
	return Object{Key: key, Size: st.Size()}, nil
}

// List implements Store.
func (d Dir) List(_ context.Context, prefix string) ([]Object, error) {
	var objs []Object
	err := filepath.WalkDir(d.Root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return notFound(err)
		}
		rel, _ := filepath.Rel(d.Root, p)
		key := filepath.ToSlash(rel)
		if e.IsDir() {
			if key == uploadsDir {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasPrefix(key, prefix) || !e.Type().IsRegular() {
			return nil
		}
		st, err := e.Info()
		if err != nil {
			return err
		}
		objs = append(objs, Object{Key: key, Size: st.Size()})
		return nil
	})
	slices.SortFunc(objs, func(a, b Object) int { return strings.Compare(a.Key, b.Key) })
	return objs, err
}

// Put implements Store: a temporary file renamed (or, with ifAbsent,
// hard-linked, which fails if the name exists) into place.
func (d Dir) Put(_ context.Context, key string, r io.Reader, ifAbsent bool) error {
	dst := d.path(key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".put-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("put %s: %w", dst, err)
	}
	if !ifAbsent {
		return os.Rename(tmp.Name(), dst)
	}
	if err := os.Link(tmp.Name(), dst); errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("put %s: %w", dst, ErrExists)
	} else if err != nil {
		return err
	}
	return nil
}

// Create implements Store.
func (d Dir) Create(_ context.Context, key string) (Upload, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	id := hex.EncodeToString(b)
	dir := filepath.Join(d.Root, uploadsDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.Create(filepath.Join(dir, hex.EncodeToString([]byte(key))+"."+id))
	if err != nil {
		return nil, err
	}
	return &fileUpload{f: f, p: Pending{Key: key, UploadID: id}}, nil
}

func (d Dir) uploadPath(p Pending) string {
	return filepath.Join(d.Root, uploadsDir, hex.EncodeToString([]byte(p.Key))+"."+p.UploadID)
}

// Complete implements Store.
func (d Dir) Complete(_ context.Context, p Pending) error {
	dst := d.path(p.Key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return notFound(os.Rename(d.uploadPath(p), dst))
}

// Pending implements Store.
func (d Dir) Pending(_ context.Context, prefix string) ([]Pending, error) {
	entries, err := os.ReadDir(filepath.Join(d.Root, uploadsDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ps []Pending
	for _, e := range entries {
		hexKey, id, _ := strings.Cut(e.Name(), ".")
		key, err := hex.DecodeString(hexKey)
		if err == nil && strings.HasPrefix(string(key), prefix) {
			ps = append(ps, Pending{Key: string(key), UploadID: id})
		}
	}
	return ps, nil
}

// Abort implements Store.
func (d Dir) Abort(_ context.Context, p Pending) error {
	if err := os.Remove(d.uploadPath(p)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// DeletePrefix implements Store.
func (d Dir) DeletePrefix(ctx context.Context, prefix string) error {
	objs, err := d.List(ctx, prefix)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	for _, o := range objs {
		if err := os.Remove(d.path(o.Key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// fileUpload is a Dir's pending upload: a file under .uploads.
type fileUpload struct {
	f *os.File
	p Pending
}

func (u *fileUpload) Write(b []byte) (int, error) { return u.f.Write(b) }

func (u *fileUpload) Close() (Pending, error) { return u.p, u.f.Close() }

func (u *fileUpload) Abandon() {
	u.f.Close()
	os.Remove(u.f.Name())
}
