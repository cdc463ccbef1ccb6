package tera

import "fmt"

const (
	// RecordSize is the size in bytes of one record in either format.
	RecordSize = 100
	// KeySize is the size in bytes of the sort key, bytes 0 to 9 of a record.
	KeySize = 10
)

// Format is a record layout. Both layouts are RecordSize bytes long and
// start with a KeySize-byte key.
type Format int

const (
	// Binary is Hadoop TeraGen's format (gensort ≤ 1.2 without -a): a
	// binary key and a binary-framed value.
	Binary Format = iota
	// ASCII is `gensort -a`'s format: a printable key and CR LF-terminated
	// lines, sortable by `LC_ALL=C sort`.
	ASCII
)

// ParseFormat parses a format name as printed by Format.String.
func ParseFormat(s string) (Format, error) {
	switch s {
	case "binary":
		return Binary, nil
	case "ascii":
		return ASCII, nil
	}
	return 0, fmt.Errorf("record format %q is not supported: use \"binary\" or \"ascii\"", s)
}

// String returns the format's name: "binary" or "ascii".
func (f Format) String() string {
	switch f {
	case Binary:
		return "binary"
	case ASCII:
		return "ascii"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}
