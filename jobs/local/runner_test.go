package local_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/tera"
)

func TestTeraGenJobWritesTestVectors(t *testing.T) {
	for _, tc := range []struct{ format, sum string }{
		{"binary", "5b2d1434d"},
		{"ascii", "469302dca"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			res, err := runJob(t, jobs.Job{
				Name:   "teragen",
				Input:  jobs.Input{Rows: 10},
				Output: out,
				Map:    jobs.Phase{Func: jobs.TeraGen, Tasks: 3, Format: tc.format},
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Checksum.String(); got != tc.sum {
				t.Errorf("checksum = %s, want %s", got, tc.sum)
			}
			if res.Map.RecordsOut != 10 || res.Map.BytesOut != 1000 {
				t.Errorf("counters = %+v, want 10 records and 1000 bytes out", res.Map)
			}
			want := []string{"_SUCCESS", "part-m-00000", "part-m-00001", "part-m-00002"}
			if got := listDir(t, out); !slices.Equal(got, want) {
				t.Errorf("output holds %q, want %q", got, want)
			}
			format, _ := tera.ParseFormat(tc.format)
			var wantBytes []byte
			for row := range uint64(10) {
				wantBytes = tera.AppendRecord(wantBytes, format, row)
			}
			if got := readParts(t, out); !slices.Equal(got, wantBytes) {
				t.Errorf("part files differ from the generated rows")
			}
		})
	}
}

func TestTeraGenOutputIsTheSameWhateverTheMaps(t *testing.T) {
	var first []byte
	for _, maps := range []int{1, 3, 8} {
		out := filepath.Join(t.TempDir(), "out")
		res, err := runJob(t, jobs.Job{
			Name:   "teragen",
			Input:  jobs.Input{Rows: 12345},
			Output: out,
			Map:    jobs.Phase{Func: jobs.TeraGen, Tasks: maps, Format: "binary"},
		})
		if err != nil {
			t.Fatal(err)
		}
		got := readParts(t, out)
		if len(got) != 12345*tera.RecordSize || res.Map.RecordsOut != 12345 {
			t.Fatalf("maps %d: wrote %d bytes, %d records", maps, len(got), res.Map.RecordsOut)
		}
		if first == nil {
			first = got
		} else if !slices.Equal(got, first) {
			t.Errorf("maps %d: output differs from that of 1 map", maps)
		}
	}
}
