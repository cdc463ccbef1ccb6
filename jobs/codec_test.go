package jobs

import (
	"strings"
	"testing"
)

func TestCodecOf(t *testing.T) {
	for path, want := range map[string]Codec{
		"/in/a.gz": Gzip, "/in/a.txt.GZ": Gzip, "b.bz2": Bzip2, "c.zst": Zstd,
		"d.txt": NoCodec, "e": NoCodec, "f.gz.txt": NoCodec, "g.zstd": NoCodec,
	} {
		if got := CodecOf(path); got != want {
			t.Errorf("CodecOf(%q) = %q, want %q", path, got, want)
		}
	}
}

func TestParseOutputCodec(t *testing.T) {
	for name, want := range map[string]Codec{
		"gzip": Gzip, "GZIP": Gzip, "zstd": Zstd, "": NoCodec, "none": NoCodec,
		"org.apache.hadoop.io.compress.GzipCodec":      Gzip,
		"org.apache.hadoop.io.compress.ZStandardCodec": Zstd,
	} {
		got, err := ParseOutputCodec(name)
		if err != nil || got != want {
			t.Errorf("ParseOutputCodec(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	for _, name := range []string{"bzip2", "snappy", "org.apache.hadoop.io.compress.SnappyCodec", "lz"} {
		_, err := ParseOutputCodec(name)
		if err == nil || !strings.Contains(err.Error(), "gzip") || !strings.Contains(err.Error(), "not supported") {
			t.Errorf("ParseOutputCodec(%q): error %v, want one listing the supported codecs", name, err)
		}
	}
}

func TestCompressedFileIsOneSplit(t *testing.T) {
	files := []inputFile{{path: "/in/a.gz", size: 1000}, {path: "/in/b.zst", size: 1000}}
	splits, err := fileSplits(files, Lines, 8)
	if err != nil {
		t.Fatal(err)
	}
	if len(splits) != 2 || splits[0].Length != 1000 || splits[1].Length != 1000 {
		t.Fatalf("splits = %+v, want one whole split per compressed file", splits)
	}
}
