package task

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/dockmr/dockmr/jobs"
)

// A combiner that sums counts per key shrinks what the reduces read but
// not the answer, in one spill per map and in merges of several.
func TestStreamingCombiner(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sortMB int
		lines  int
	}{{"one spill", 0, 200}, {"merged spills", 1, 120_000}} {
		t.Run(tc.name, func(t *testing.T) {
			plain := streamJob(t, splitWords, countWords, 2)
			var text bytes.Buffer
			for i := range tc.lines {
				fmt.Fprintf(&text, "the fox %d jumps over the dog %d\n", i%50, i%7)
			}
			writeFile(t, plain.Input.Paths[0], "c.txt", text.Bytes())
			plain.Settings.SortMB = tc.sortMB
			base, _, err := runJob(t, &inProcess{t: t}, plain)
			if err != nil {
				t.Fatal(err)
			}
			want := sortedLines(readParts(t, plain.Output))

			job := plain
			job.Output = plain.Output + "-combined"
			job.Combiner = &jobs.Phase{Func: jobs.Stream, Command: countWords}
			res, _, err := runJob(t, &inProcess{t: t}, job)
			if err != nil {
				t.Fatal(err)
			}
			if got := sortedLines(readParts(t, job.Output)); got != want {
				t.Errorf("word counts with a combiner:\n%.300s\nwant:\n%.300s", got, want)
			}
			m := res.Map
			t.Logf("shuffle bytes %d without a combiner, %d with; combine records in %d, out %d, spills %d",
				base.Reduce.ShuffleBytes, res.Reduce.ShuffleBytes, m.CombineInputRecords, m.CombineOutputRecords, m.Spills)
			if res.Reduce.ShuffleBytes >= base.Reduce.ShuffleBytes {
				t.Errorf("shuffle bytes %d with a combiner, %d without; want fewer", res.Reduce.ShuffleBytes, base.Reduce.ShuffleBytes)
			}
			if m.CombineInputRecords < m.RecordsOut || m.CombineOutputRecords == 0 || m.CombineOutputRecords >= m.CombineInputRecords {
				t.Errorf("combine records in %d, out %d for %d map output records", m.CombineInputRecords, m.CombineOutputRecords, m.RecordsOut)
			}
			if tc.sortMB > 0 && m.CombineInputRecords <= m.RecordsOut {
				t.Errorf("combine records in %d for %d map output records in %d spills: the merge of spills did not combine",
					m.CombineInputRecords, m.RecordsOut, m.Spills)
			}
		})
	}
}

func TestValidateCombiner(t *testing.T) {
	job := streamJob(t, splitWords, nil, 0)
	job.Combiner = &jobs.Phase{Func: jobs.Stream, Command: countWords}
	if err := job.Validate(); err == nil {
		t.Error("a map-only job with a combiner is valid")
	}
}
