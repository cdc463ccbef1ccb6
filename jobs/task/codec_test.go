package task

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/dockmr/dockmr/jobs"
)

// bzip2Text is "the dog barks\nthe fox runs" compressed by bzip2 -9.
var bzip2Text = []byte{0x42, 0x5a, 0x68, 0x39, 0x31, 0x41, 0x59, 0x26, 0x53, 0x59, 0x78, 0xb6, 0x78, 0x7c, 0x00, 0x00,
	0x0b, 0x51, 0x80, 0x00, 0x10, 0x40, 0x00, 0x37, 0xc9, 0x9e, 0x40, 0x20, 0x00, 0x21, 0xa8, 0x06, 0x83, 0x19, 0x42,
	0x86, 0x9a, 0x60, 0x02, 0x36, 0xc1, 0x36, 0x87, 0x45, 0x60, 0x82, 0xa2, 0x65, 0x8a, 0x2b, 0x9e, 0xf8, 0xbb, 0x92,
	0x29, 0xc2, 0x84, 0x83, 0xc5, 0xb3, 0xc3, 0xe0}

// compressed returns data compressed with c (gzip or zstd) as a writer of
// part files does.
func compressed(t *testing.T, c jobs.Codec, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	z, err := compressor(&buf, c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := z.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestDecompress(t *testing.T) {
	text := []byte("the dog barks\nthe fox runs")
	for c, data := range map[jobs.Codec][]byte{
		jobs.NoCodec: text, jobs.Gzip: compressed(t, jobs.Gzip, text),
		jobs.Zstd: compressed(t, jobs.Zstd, text), jobs.Bzip2: bzip2Text,
	} {
		r, free, err := decompress(bytes.NewReader(data), c, "in"+c.Ext())
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		got, err := io.ReadAll(r)
		free()
		if err != nil || !bytes.Equal(got, text) {
			t.Errorf("%s: read %q, %v; want %q", c, got, err, text)
		}
	}
}

func TestDecompressInvalid(t *testing.T) {
	plain := []byte("not compressed at all\n")
	gz := compressed(t, jobs.Gzip, bytes.Repeat(plain, 100))
	for _, tc := range []struct {
		codec jobs.Codec
		data  []byte
	}{
		{jobs.Gzip, plain}, {jobs.Gzip, gz[:len(gz)/2]},
		{jobs.Bzip2, plain}, {jobs.Bzip2, bzip2Text[:30]},
		{jobs.Zstd, plain}, {jobs.Zstd, gz}, // empty files never reach a task: planning skips them
	} {
		path := "/in/logs" + tc.codec.Ext()
		r, free, err := decompress(bytes.NewReader(tc.data), tc.codec, path)
		if err == nil {
			_, err = io.ReadAll(r)
			free()
		}
		if err == nil {
			t.Errorf("%s of %d bytes: no error", tc.codec, len(tc.data))
			continue
		}
		for _, want := range []string{path, "not valid " + string(tc.codec)} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s of %d bytes: error %q does not say %q", tc.codec, len(tc.data), err, want)
			}
		}
	}
}

// A job over compressed input gives the word counts of the plain input,
// and compressed output holds them.
func TestStreamingCompressedInputAndOutput(t *testing.T) {
	plain := streamJob(t, splitWords, countWords, 2)
	if _, _, err := runJob(t, &inProcess{t: t}, plain); err != nil {
		t.Fatal(err)
	}
	want := sortedLines(readParts(t, plain.Output))
	for _, out := range []jobs.Codec{jobs.Gzip, jobs.Zstd} {
		dir := t.TempDir()
		a := []byte("the quick brown fox\njumps over the lazy dog\n")
		writeFile(t, dir, "a.txt.gz", compressed(t, jobs.Gzip, a))
		writeFile(t, dir, "b.txt.bz2", bzip2Text)
		writeFile(t, dir, "c.zst", compressed(t, jobs.Zstd, []byte("\n")))
		job := plain
		job.Input.Paths = []string{dir}
		job.Output = filepath.Join(t.TempDir(), "out")
		job.Settings.OutputCodec = out
		if _, _, err := runJob(t, &inProcess{t: t}, job); err != nil {
			t.Fatal(err)
		}
		if got := sortedLines(readCompressedParts(t, job.Output, out)); got != want {
			t.Errorf("%s output of compressed input:\n%s\nwant:\n%s", out, got, want)
		}
	}
}

func TestStreamingInvalidCompressedInput(t *testing.T) {
	job := streamJob(t, splitWords, countWords, 1)
	writeFile(t, job.Input.Paths[0], "c.gz", []byte("plain text\n"))
	_, _, err := runJob(t, &inProcess{t: t}, job)
	if err == nil || !strings.Contains(err.Error(), "c.gz is not valid gzip data") {
		t.Fatalf("job over a plain file named .gz: error %v, want one naming the file and gzip", err)
	}
}

// readCompressedParts reads and decompresses the part files of a job
// whose output codec is c.
func readCompressedParts(t *testing.T, dir string, c jobs.Codec) []byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "part-*"))
	if err != nil || len(names) == 0 {
		t.Fatalf("no part files in %s: %v", dir, err)
	}
	var all []byte
	for _, n := range names {
		if !strings.HasSuffix(n, c.Ext()) {
			t.Errorf("part file %s does not end in %s", n, c.Ext())
		}
		f, err := os.Open(n)
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader
		switch c {
		case jobs.Gzip:
			r, err = gzip.NewReader(f)
		case jobs.Zstd:
			r, err = zstd.NewReader(f)
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(r)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		all = append(all, b...)
	}
	return all
}

// A map-only job's part files are compressed too.
func TestStreamingMapOnlyCompressedOutput(t *testing.T) {
	job := streamJob(t, []string{"tr", "a-z", "A-Z"}, nil, 0)
	job.Settings.OutputCodec = jobs.Gzip
	if _, _, err := runJob(t, &inProcess{t: t}, job); err != nil {
		t.Fatal(err)
	}
	got := sortedLines(readCompressedParts(t, job.Output, jobs.Gzip))
	want := "JUMPS OVER THE LAZY DOG\nTHE DOG BARKS\nTHE FOX RUNS\nTHE QUICK BROWN FOX\n"
	if got != want {
		t.Errorf("map-only output:\n%s\nwant:\n%s", got, want)
	}
}
