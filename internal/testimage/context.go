package testimage

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// File is one extra regular file placed into an image by Build.
type File struct {
	// Path is the absolute path of the file inside the image, e.g. "/etc/app.conf".
	Path string
	// Mode holds the permission bits; zero means 0644.
	Mode fs.FileMode
	// Data is the file's content.
	Data []byte
}

// dockerfile copies the prepared root filesystem into an empty image. PATH is
// set explicitly because a scratch image carries no environment of its own.
const dockerfile = `FROM scratch
COPY rootfs/ /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["/bin/sh"]
`

// passwd and group give the image the users tasks commonly run as, so that a
// task's `user = "nobody"` resolves inside the container.
const (
	passwd = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n"
	group  = "root:x:0:\nnogroup:x:65534:\n"
)

// buildContext is a Docker build context held in memory together with the
// hash of everything that determines the resulting image.
type buildContext struct {
	tar  []byte
	hash string
}

// newBuildContext lays out a root filesystem holding the static busybox at
// /bin/busybox, one symlink per applet at the path busybox itself reports
// (e.g. "usr/bin/seq"), a world-writable /tmp, minimal user databases and the
// extra files, and packs it with the Dockerfile into a tar stream.
func newBuildContext(busybox []byte, applets []string, extra []File) (*buildContext, error) {
	entries, err := rootfsEntries(busybox, applets, extra)
	if err != nil {
		return nil, err
	}
	entries = append(entries, entry{name: "Dockerfile", mode: 0o644, data: []byte(dockerfile)})
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })

	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	sum := sha256.New()
	for _, e := range entries {
		if err := tw.WriteHeader(e.header()); err != nil {
			return nil, fmt.Errorf("write tar header for %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, fmt.Errorf("write tar data for %s: %w", e.name, err)
		}
		fmt.Fprintf(sum, "%s\x00%o\x00%c\x00%s\x00%d\x00", e.name, e.mode, e.kind(), e.link, len(e.data))
		sum.Write(e.data)
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("close build context: %w", err)
	}
	return &buildContext{tar: buf.Bytes(), hash: hex.EncodeToString(sum.Sum(nil))}, nil
}

// entry is one file, directory or symlink of the build context.
type entry struct {
	name string
	mode fs.FileMode
	dir  bool
	link string
	data []byte
}

func (e entry) kind() byte {
	switch {
	case e.dir:
		return tar.TypeDir
	case e.link != "":
		return tar.TypeSymlink
	default:
		return tar.TypeReg
	}
}

func (e entry) header() *tar.Header {
	return &tar.Header{
		Typeflag: e.kind(),
		Name:     e.name,
		Linkname: e.link,
		Mode:     int64(e.mode),
		Size:     int64(len(e.data)),
	}
}

func rootfsEntries(busybox []byte, applets []string, extra []File) ([]entry, error) {
	byName := map[string]entry{}
	dirs := map[string]bool{}
	add := func(e entry) {
		e.name = "rootfs/" + e.name
		byName[e.name] = e
		for d := path.Dir(e.name); d != "." && d != "rootfs"; d = path.Dir(d) {
			dirs[d] = true
		}
	}

	add(entry{name: "bin/busybox", mode: 0o755, data: busybox})
	for _, a := range applets {
		p := strings.TrimPrefix(path.Clean("/"+a), "/")
		if p == "" || p == "bin/busybox" {
			continue
		}
		add(entry{name: p, mode: 0o777, link: "/bin/busybox"})
	}
	add(entry{name: "etc/passwd", mode: 0o644, data: []byte(passwd)})
	add(entry{name: "etc/group", mode: 0o644, data: []byte(group)})

	if err := checkFiles(extra); err != nil {
		return nil, err
	}
	for _, f := range extra {
		mode := f.Mode.Perm()
		if mode == 0 {
			mode = 0o644
		}
		add(entry{name: strings.TrimPrefix(path.Clean(f.Path), "/"), mode: mode, data: f.Data})
	}

	entries := make([]entry, 0, len(byName)+len(dirs)+1)
	for _, e := range byName {
		if dirs[e.name] {
			return nil, fmt.Errorf("image path /%s is both a file and a directory", strings.TrimPrefix(e.name, "rootfs/"))
		}
		entries = append(entries, e)
	}
	entries = append(entries, entry{name: "rootfs/tmp", mode: 0o1777, dir: true})
	for d := range dirs {
		if d == "rootfs/tmp" {
			continue
		}
		entries = append(entries, entry{name: d, mode: 0o755, dir: true})
	}
	return entries, nil
}

// checkFiles checks the paths of the extra files of an image.
func checkFiles(extra []File) error {
	for i, f := range extra {
		if !path.IsAbs(f.Path) || path.Clean(f.Path) == "/" {
			return fmt.Errorf("extra file %d: path %q must be an absolute file path inside the image, e.g. \"/etc/app.conf\"", i, f.Path)
		}
	}
	return nil
}
