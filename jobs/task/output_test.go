package task

import (
	"bytes"
	"hash/crc32"
	"testing"

	"github.com/dockmr/dockmr/tera"
)

// The sum is the same however the stream is cut into chunks.
func TestRecordSumIgnoresChunking(t *testing.T) {
	var recs []byte
	for row := range uint64(50) {
		recs = tera.AppendRecord(recs, tera.Binary, row)
	}
	var want tera.Checksum
	want.AddRecords(recs)
	lines := []byte("a\tb\nsecond line\n\nno newline at the end")
	var wantLines tera.Checksum
	for _, l := range bytes.SplitAfter(lines, []byte{'\n'}) {
		wantLines.Add(tera.Checksum{Lo: uint64(crc32.ChecksumIEEE(l))})
	}
	for _, chunk := range []int{1, 7, 99, 100, 101, 250, 5000} {
		for _, tc := range []struct {
			f       framing
			data    []byte
			want    tera.Checksum
			records uint64
		}{
			{teraFraming, recs, want, 50},
			{lineFraming, lines, wantLines, 4},
		} {
			s := recordSum{framing: tc.f}
			for p := tc.data; len(p) > 0; p = p[min(chunk, len(p)):] {
				s.add(p[:min(chunk, len(p))])
			}
			if err := s.finish(); err != nil {
				t.Fatal(err)
			}
			if s.sum != tc.want || s.records != tc.records || s.bytes != uint64(len(tc.data)) {
				t.Errorf("chunks of %d: %d records, %d bytes, sum %s; want %d, %d, %s",
					chunk, s.records, s.bytes, s.sum, tc.records, len(tc.data), tc.want)
			}
		}
	}
	s := recordSum{framing: teraFraming}
	s.add(recs[:150])
	if err := s.finish(); err == nil {
		t.Error("a partial tera record finished without error")
	}
}
