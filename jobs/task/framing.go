package task

import (
	"bytes"
	"encoding/binary"

	"github.com/dockmr/dockmr/tera"
)

// framing says where records end and what their keys are.
type framing struct {
	// size is the length of fixed-size records, 0 for lines.
	size int
	// keyLen is the key length of fixed-size records.
	keyLen int
	// keys, if set, are the key options of map output lines.
	keys *keyFraming
}

var (
	teraFraming = framing{size: tera.RecordSize, keyLen: tera.KeySize}
	lineFraming = framing{}
)

// recordLen returns the length of the record at the start of b, or 0 if b
// does not hold a whole one. At EOF, an unterminated last line is a record.
func (f framing) recordLen(b []byte, atEOF bool) int {
	if f.size > 0 {
		if len(b) >= f.size {
			return f.size
		}
		return 0
	}
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return i + 1
	}
	if atEOF {
		return len(b)
	}
	return 0
}

// key returns a record's key: the key bytes of a fixed-size record; for a
// line, the text before the first tab, or the whole line without its
// newline if it has no tab (Hadoop Streaming's rule).
func (f framing) key(rec []byte) []byte {
	if f.size > 0 {
		return rec[:f.keyLen]
	}
	if f.keys != nil {
		return f.keys.lineKey(rec)
	}
	if n := len(rec); n > 0 && rec[n-1] == '\n' {
		rec = rec[:n-1]
	}
	if i := bytes.IndexByte(rec, '\t'); i >= 0 {
		return rec[:i]
	}
	return rec
}

// keyPrefix returns the first 8 bytes of a key as a big-endian integer,
// zero-padded, so that comparing prefixes orders keys as bytes.Compare does
// unless the prefixes are equal.
func keyPrefix(key []byte) uint64 {
	if len(key) >= 8 {
		return binary.BigEndian.Uint64(key)
	}
	var b [8]byte
	copy(b[:], key)
	return binary.BigEndian.Uint64(b[:])
}

// compareKeys orders two keys given with their prefixes.
func compareKeys(pa uint64, a []byte, pb uint64, b []byte) int {
	switch {
	case pa < pb:
		return -1
	case pa > pb:
		return 1
	}
	return bytes.Compare(a, b)
}

// value returns the text of a line after its key and tab, without the
// newline; nil if the line has no tab.
func (f framing) value(rec []byte) []byte {
	rec = bytes.TrimSuffix(rec, []byte{'\n'})
	if i := bytes.IndexByte(rec, '\t'); i >= 0 {
		return rec[i+1:]
	}
	return nil
}
