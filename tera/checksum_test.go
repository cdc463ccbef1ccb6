package tera

import (
	"hash/crc32"
	"math"
	"testing"

	"github.com/shoenig/test/must"
)

func TestChecksumAddsCRCs(t *testing.T) {
	var buf []byte
	var want uint64
	for row := range uint64(50) {
		rec := AppendRecord(nil, ASCII, row)
		want += uint64(crc32.ChecksumIEEE(rec))
		buf = append(buf, rec...)
	}
	var c Checksum
	c.AddRecords(append(buf, "partial"...))
	must.Eq(t, Checksum{Lo: want}, c)
}

func TestChecksumCarriesIntoHighHalf(t *testing.T) {
	c := Checksum{Lo: math.MaxUint64 - 1}
	c.Add(Checksum{Lo: 3})
	must.Eq(t, Checksum{Hi: 1, Lo: 1}, c)

	c = Checksum{Lo: math.MaxUint64}
	rec := AppendRecord(nil, Binary, 0)
	c.AddRecords(rec)
	must.Eq(t, Checksum{Hi: 1, Lo: uint64(crc32.ChecksumIEEE(rec)) - 1}, c)
}

func TestChecksumString(t *testing.T) {
	for _, tc := range []struct {
		c    Checksum
		want string
	}{
		{Checksum{}, "0"},
		{Checksum{Lo: 0x5b2d1434d}, "5b2d1434d"},
		{Checksum{Hi: 1}, "10000000000000000"},
		{Checksum{Hi: 0xabc, Lo: 0xf}, "abc000000000000000f"},
		{Checksum{Hi: math.MaxUint64, Lo: math.MaxUint64}, "ffffffffffffffffffffffffffffffff"},
	} {
		must.Eq(t, tc.want, tc.c.String())
		back, err := ParseChecksum(tc.want)
		must.NoError(t, err)
		must.Eq(t, tc.c, back)
	}
	c, err := ParseChecksum("00ABCdef")
	must.NoError(t, err)
	must.Eq(t, Checksum{Lo: 0xabcdef}, c)
}

func TestParseChecksumRejects(t *testing.T) {
	for s, want := range map[string]string{
		"":                                  "want 1 to 32 hex digits",
		"123456789012345678901234567890123": "want 1 to 32 hex digits",
		"12g4":                              `'g' is not a hex digit`,
		"0x12":                              `'x' is not a hex digit`,
		" 12":                               `' ' is not a hex digit`,
	} {
		_, err := ParseChecksum(s)
		must.ErrorContains(t, err, want)
		must.StrContains(t, err.Error(), `"`+s+`"`)
	}
}
