// Package s3 holds the object-storage system tests: storage's S3 backend
// and dockmr jobs reading and writing s3:// locations, against a real
// versitygw on 127.0.0.1.
package s3

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/dockmr/dockmr/internal/s3test"
	"github.com/dockmr/dockmr/storage"
)

func newStore(t *testing.T, srv *s3test.Server, bucket string) *storage.S3 {
	t.Helper()
	srv.Setenv(t)
	c, err := storage.NewClient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return &storage.S3{Client: c, Bucket: bucket}
}

func TestS3Store(t *testing.T) {
	if testing.Short() {
		t.Skip("starts versitygw")
	}
	ctx := context.Background()
	srv := s3test.Start(t)
	srv.Bucket(t, "tera")
	s := newStore(t, srv, "tera")
	if err := s.CheckBucket(ctx); err != nil {
		t.Fatal(err)
	}

	if err := s.Put(ctx, "out/_SUCCESS", strings.NewReader("{}"), true); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "out/_SUCCESS", strings.NewReader("{}"), true); !errors.Is(err, storage.ErrExists) {
		t.Fatalf("second conditional put: %v, want ErrExists", err)
	}

	data := bytes.Repeat([]byte("0123456789abcdef"), (2*storage.PartSize+12345)/16)
	u, err := s.Create(ctx, "out/part-r-00000")
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(data); off += 1 << 20 {
		if _, err := u.Write(data[off:min(len(data), off+1<<20)]); err != nil {
			t.Fatal(err)
		}
	}
	p, err := u.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Parts) != 3 {
		t.Errorf("upload of %d bytes in %d parts, want 3", len(data), len(p.Parts))
	}
	if objs, _ := s.List(ctx, "out/part"); len(objs) != 0 {
		t.Fatalf("a pending upload is visible: %v", objs)
	}
	pending, err := s.Pending(ctx, "out/")
	if err != nil || len(pending) != 1 || pending[0].UploadID != p.UploadID {
		t.Fatalf("Pending = %v, %v; want the upload %s", pending, err, p.UploadID)
	}
	if err := s.Complete(ctx, p); err != nil {
		t.Fatal(err)
	}
	if pending, _ := s.Pending(ctx, "out/"); len(pending) != 0 {
		t.Errorf("pending after complete: %v", pending)
	}
	rc, err := s.Open(ctx, "out/part-r-00000", storage.PartSize-3, 10)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if want := data[storage.PartSize-3 : storage.PartSize+7]; !bytes.Equal(got, want) {
		t.Errorf("ranged read across parts = %q, want %q", got, want)
	}
	objs, err := s.List(ctx, "out/")
	if err != nil || len(objs) != 2 || objs[1].Size != int64(len(data)) {
		t.Fatalf("List = %v, %v", objs, err)
	}

	empty, _ := s.Create(ctx, "out/part-r-00001")
	ep, err := empty.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Complete(ctx, ep); err != nil {
		t.Fatal(err)
	}
	if o, err := s.Stat(ctx, "out/part-r-00001"); err != nil || o.Size != 0 {
		t.Errorf("empty upload: %v, %v", o, err)
	}

	gone, _ := s.Create(ctx, "out/part-r-00002")
	if _, err := gone.Write(data[:storage.PartSize+1]); err != nil {
		t.Fatal(err)
	}
	gp, err := gone.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Abort(ctx, gp); err != nil {
		t.Fatal(err)
	}
	if pending, _ := s.Pending(ctx, "out/"); len(pending) != 0 {
		t.Errorf("pending after abort: %v", pending)
	}
	if err := s.DeletePrefix(ctx, "out/"); err != nil {
		t.Fatal(err)
	}
	if objs, _ := s.List(ctx, "out/"); len(objs) != 0 {
		t.Errorf("after DeletePrefix: %v", objs)
	}
}

func TestS3StoreErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("starts versitygw")
	}
	ctx := context.Background()
	srv := s3test.Start(t)
	s := newStore(t, srv, "nobucket")
	err := s.CheckBucket(ctx)
	if !errors.Is(err, storage.ErrNotFound) || !strings.Contains(err.Error(), `bucket "nobucket" does not exist`) {
		t.Errorf("missing bucket: %v", err)
	}
	srv.Bucket(t, "tera")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	c, _ := storage.NewClient(ctx)
	err = (&storage.S3{Client: c, Bucket: "tera"}).CheckBucket(ctx)
	if err == nil || !strings.Contains(err.Error(), "refused the credentials") {
		t.Errorf("wrong secret: %v", err)
	}
}
