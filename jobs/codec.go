package jobs

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Codec names a compression format of input or output files. Input files
// are recognised by their name's extension, as Hadoop's
// CompressionCodecFactory does; a compressed input file is read whole by one
// map task (dockmr splits no compressed file, bzip2 included, which Hadoop
// can split at block boundaries).
type Codec string

const (
	// NoCodec is uncompressed data.
	NoCodec Codec = ""
	// Gzip is gzip (RFC 1952), extension .gz: Hadoop's GzipCodec.
	Gzip Codec = "gzip"
	// Bzip2 is bzip2, extension .bz2: Hadoop's BZip2Codec. dockmr reads it
	// but does not write it.
	Bzip2 Codec = "bzip2"
	// Zstd is Zstandard, extension .zst: Hadoop's ZStandardCodec.
	Zstd Codec = "zstd"
)

// codecExts maps each codec to its file name extension.
var codecExts = map[Codec]string{Gzip: ".gz", Bzip2: ".bz2", Zstd: ".zst"}

// hadoopCodecs maps Hadoop's codec class names to codecs.
var hadoopCodecs = map[string]Codec{
	"org.apache.hadoop.io.compress.GzipCodec":        Gzip,
	"org.apache.hadoop.io.compress.DefaultCodec":     Gzip,
	"org.apache.hadoop.io.compress.ZStandardCodec":   Zstd,
	"org.apache.hadoop.io.compress.BZip2Codec":       Bzip2,
	"org.apache.hadoop.io.compress.DeflateCodec":     "deflate",
	"org.apache.hadoop.io.compress.SnappyCodec":      "snappy",
	"org.apache.hadoop.io.compress.Lz4Codec":         "lz4",
	"com.hadoop.compression.lzo.LzopCodec":           "lzo",
	"org.apache.hadoop.io.compress.PassthroughCodec": "passthrough",
}

// CodecOf returns the codec an input file's name claims, NoCodec if none.
func CodecOf(path string) Codec {
	ext := strings.ToLower(filepath.Ext(path))
	for c, e := range codecExts {
		if e == ext {
			return c
		}
	}
	return NoCodec
}

// Ext returns the codec's file name extension, like ".gz", or "" for
// NoCodec.
func (c Codec) Ext() string { return codecExts[c] }

// ParseOutputCodec reads the name of an output codec: "gzip" or "zstd",
// their Hadoop class names (org.apache.hadoop.io.compress.GzipCodec,
// ZStandardCodec), or "none" or "" for uncompressed output.
func ParseOutputCodec(name string) (Codec, error) {
	c := Codec(strings.ToLower(name))
	if hc, ok := hadoopCodecs[name]; ok {
		c = hc
	}
	if c == "none" {
		c = NoCodec
	}
	if err := c.validOutput(); err != nil {
		return NoCodec, err
	}
	return c, nil
}

// validOutput reports whether dockmr can write the codec.
func (c Codec) validOutput() error {
	switch c {
	case NoCodec, Gzip, Zstd:
		return nil
	}
	return fmt.Errorf("output codec %q is not supported: use %q, %q or %q (or Hadoop's org.apache.hadoop.io.compress.GzipCodec or ZStandardCodec)",
		string(c), Gzip, Zstd, "none")
}
