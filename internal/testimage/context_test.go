package testimage

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

func readTar(t *testing.T, b []byte) map[string]*tar.Header {
	t.Helper()
	headers := map[string]*tar.Header{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return headers
		}
		must.NoError(t, err)
		headers[h.Name] = h
	}
}

func TestBuildContextLayout(t *testing.T) {
	bc, err := newBuildContext([]byte("BUSYBOX"), []string{"bin/sh", "usr/bin/seq", "bin/busybox"},
		[]File{{Path: "/opt/app/run.sh", Mode: 0o755, Data: []byte("#!/bin/sh\n")}})
	must.NoError(t, err)
	h := readTar(t, bc.tar)

	must.MapContainsKeys(t, h, []string{
		"Dockerfile", "rootfs/bin", "rootfs/usr", "rootfs/usr/bin", "rootfs/opt/app",
		"rootfs/etc/passwd", "rootfs/etc/group",
	})
	must.Eq(t, tar.TypeReg, h["rootfs/bin/busybox"].Typeflag)
	must.Eq(t, int64(len("BUSYBOX")), h["rootfs/bin/busybox"].Size)
	must.Eq(t, tar.TypeSymlink, h["rootfs/bin/sh"].Typeflag)
	must.Eq(t, "/bin/busybox", h["rootfs/usr/bin/seq"].Linkname)
	must.Eq(t, int64(0o755), h["rootfs/opt/app/run.sh"].Mode)
	must.Eq(t, int64(0o1777), h["rootfs/tmp"].Mode)
}

func TestBuildContextHash(t *testing.T) {
	a, err := newBuildContext([]byte("B"), []string{"bin/sh", "bin/sleep"}, nil)
	must.NoError(t, err)
	again, err := newBuildContext([]byte("B"), []string{"bin/sleep", "bin/sh"}, nil)
	must.NoError(t, err)
	must.Eq(t, a.hash, again.hash, must.Sprint("applet order must not change the hash"))

	withFile, err := newBuildContext([]byte("B"), []string{"bin/sh", "bin/sleep"}, []File{{Path: "/x", Data: []byte("1")}})
	must.NoError(t, err)
	must.NotEq(t, a.hash, withFile.hash)

	otherData, err := newBuildContext([]byte("B"), []string{"bin/sh", "bin/sleep"}, []File{{Path: "/x", Data: []byte("2")}})
	must.NoError(t, err)
	must.NotEq(t, withFile.hash, otherData.hash)
}

func TestBuildContextRejectsBadPaths(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files []File
		want  string
	}{
		{"relative", []File{{Path: "etc/x"}}, `path "etc/x" must be an absolute file path`},
		{"root", []File{{Path: "/"}}, `path "/" must be an absolute file path`},
		{"file over directory", []File{{Path: "/bin"}}, "/bin is both a file and a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newBuildContext([]byte("B"), []string{"bin/sh"}, tc.files)
			must.Error(t, err)
			must.True(t, strings.Contains(err.Error(), tc.want), must.Sprintf("error %q lacks %q", err, tc.want))
		})
	}
}
