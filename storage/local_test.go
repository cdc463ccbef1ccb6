package storage

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestDirStore(t *testing.T) {
	ctx := context.Background()
	d := Dir{Root: t.TempDir()}
	if err := d.Put(ctx, "out/_SUCCESS", strings.NewReader("ok"), true); err != nil {
		t.Fatal(err)
	}
	if err := d.Put(ctx, "out/_SUCCESS", strings.NewReader("again"), true); !errors.Is(err, ErrExists) {
		t.Fatalf("second conditional put: %v, want ErrExists", err)
	}
	u, err := d.Create(ctx, "out/part-r-00000")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(u, "0123456789"); err != nil {
		t.Fatal(err)
	}
	p, err := u.Close()
	if err != nil {
		t.Fatal(err)
	}
	if objs, _ := d.List(ctx, "out/part"); len(objs) != 0 {
		t.Fatalf("a pending upload is visible: %v", objs)
	}
	if ps, _ := d.Pending(ctx, "out/"); len(ps) != 1 || ps[0].Key != p.Key {
		t.Fatalf("Pending = %v, want %v", ps, p)
	}
	if err := d.Complete(ctx, p); err != nil {
		t.Fatal(err)
	}
	rc, err := d.Open(ctx, "out/part-r-00000", 3, 4)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "3456" {
		t.Errorf("ranged read = %q, want 3456", b)
	}
	objs, err := d.List(ctx, "out/")
	if err != nil || len(objs) != 2 || objs[1].Key != "out/part-r-00000" || objs[1].Size != 10 {
		t.Fatalf("List = %v, %v", objs, err)
	}
	if err := d.DeletePrefix(ctx, "out/"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Stat(ctx, "out/_SUCCESS"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Stat after DeletePrefix: %v, want ErrNotFound", err)
	}
}
