package tera

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	must.NoError(t, err)
	return b
}

func TestBinaryRowZero(t *testing.T) {
	want := unhex(t, "4a696d47726179524950 0011"+strings.Repeat("30", 32)+"8899aabb"+
		strings.Repeat("32323232 30303030", 5)+"30303030 31313131 ccddeeff")
	rec := AppendRecord(nil, Binary, 0)
	must.Eq(t, want, rec)
	must.Eq(t, "JimGrayRIP", string(rec[:KeySize]))
	must.Eq(t, uint32(0x97503e23), crc32.ChecksumIEEE(rec))
}

func TestBinaryRowKeysAndCRCs(t *testing.T) {
	for _, tc := range []struct {
		row uint64
		key string
		crc uint32
	}{
		{1, "95e0e48262b3edfe0447", 0xa5e95dce},
		{2, "45979353dbed5329365c", 0xc2f18395},
	} {
		rec := AppendRecord(nil, Binary, tc.row)
		must.Eq(t, tc.key, hex.EncodeToString(rec[:KeySize]), must.Sprintf("row %d", tc.row))
		must.Eq(t, tc.crc, crc32.ChecksumIEEE(rec), must.Sprintf("row %d", tc.row))
	}
}

func TestASCIIRowZero(t *testing.T) {
	want := "AsfAGHM5om  " + strings.Repeat("0", 32) + "  " +
		"0000222200002222000022220000222200002222000000001111\r\n"
	rec := AppendRecord(nil, ASCII, 0)
	must.Eq(t, want, string(rec))
	must.Eq(t, uint32(0x3fcaea0a), crc32.ChecksumIEEE(rec))
}

func TestASCIIRecordsArePrintableLines(t *testing.T) {
	for row := range uint64(1000) {
		rec := AppendRecord(nil, ASCII, row)
		for i, c := range rec[:RecordSize-2] {
			if c < ' ' || c > '~' {
				t.Fatalf("row %d byte %d is %#x, not printable", row, i, c)
			}
		}
		must.Eq(t, "\r\n", string(rec[RecordSize-2:]))
	}
}

func TestRowNumberField(t *testing.T) {
	for _, f := range []Format{Binary, ASCII} {
		for _, row := range []uint64{0, 9, 10, 0xff, 1 << 40, 1<<64 - 1} {
			rec := AppendRecord(nil, f, row)
			must.Eq(t, fmt.Sprintf("%032X", row), string(rec[12:44]))
		}
	}
}

func TestRowHexIncrementCarries(t *testing.T) {
	for _, start := range []uint64{0, 8, 9, 0xe, 0xf, 0xff, 0x9f, 0xfff9, 1<<64 - 3} {
		h := newRowHex(start)
		for row := start; row < start+40 && row >= start; row++ {
			must.Eq(t, fmt.Sprintf("%032X", row), string(h[:]))
			h.inc()
		}
	}
	h := newRowHex(1<<64 - 1)
	h.inc()
	must.Eq(t, "00000000000000010000000000000000", string(h[:]))
}

func TestAppendRecordAppends(t *testing.T) {
	buf := AppendRecord([]byte("xy"), Binary, 3)
	must.Eq(t, "xy", string(buf[:2]))
	must.Eq(t, AppendRecord(nil, Binary, 3), buf[2:])
}

func TestCheckRecordAcceptsGeneratedRecords(t *testing.T) {
	for _, f := range []Format{Binary, ASCII} {
		for _, row := range []uint64{0, 1, 977, 1 << 50} {
			got, err := CheckRecord(f, AppendRecord(nil, f, row))
			must.NoError(t, err)
			must.Eq(t, row, got)
		}
	}
}

func TestCheckRecordRejects(t *testing.T) {
	good := AppendRecord(nil, Binary, 42)
	flip := func(i int) []byte {
		b := bytes.Clone(good)
		b[i] ^= 1
		return b
	}
	for name, tc := range map[string]struct {
		format Format
		rec    []byte
		want   string
	}{
		"short":          {Binary, good[:99], "99 bytes long, want 100"},
		"long":           {Binary, append(bytes.Clone(good), 0), "101 bytes long"},
		"key changed":    {Binary, flip(3), "differs from the generated one at byte 3"},
		"filler changed": {Binary, flip(70), "at byte 70"},
		"other format":   {ASCII, good, "ascii record of row 42 differs"},
		"lowercase hex":  {Binary, bytes.Replace(AppendRecord(nil, Binary, 0xab), []byte("AB"), []byte("ab"), 1), `byte 30 is 'a'`},
		"row too big":    {Binary, bytes.Replace(good, []byte("0000000000000000"), []byte("0000000000000001"), 1), "exceeds 64 bits"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := CheckRecord(tc.format, tc.rec)
			must.ErrorContains(t, err, tc.want)
		})
	}
}

func FuzzCheckRecord(f *testing.F) {
	f.Add(AppendRecord(nil, Binary, 0), false)
	f.Add(AppendRecord(nil, ASCII, 12345), true)
	f.Add([]byte("short"), true)
	f.Fuzz(func(t *testing.T, rec []byte, ascii bool) {
		format := Binary
		if ascii {
			format = ASCII
		}
		row, err := CheckRecord(format, rec)
		if err != nil {
			return
		}
		must.Eq(t, AppendRecord(nil, format, row), rec)
	})
}
