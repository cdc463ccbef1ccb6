package jobs

import (
	"strings"
	"testing"
)

// goodJob returns a valid streaming job to break in tests.
func goodJob() Job {
	return Job{
		Name:   "wc",
		Input:  Input{Paths: []string{"in"}, Records: Lines},
		Output: "out",
		Map:    Phase{Func: Stream, Tasks: 2, Command: []string{"cat"}},
		Reduce: &Phase{Func: Stream, Tasks: 1, Command: []string{"uniq"}},
	}
}

func TestValidateAcceptsGoodJobs(t *testing.T) {
	jobs := map[string]Job{
		"streaming": goodJob(),
		"teragen": {Name: "g", Input: Input{Rows: 10}, Output: "o",
			Map: Phase{Func: TeraGen, Tasks: 2, Format: "ascii"}},
		"terasort unsampled": {Name: "s", Input: Input{Paths: []string{"i"}, Records: TeraRecords}, Output: "o",
			Map: Phase{Func: Identity}, Reduce: &Phase{Func: Identity, Tasks: 3}, Partitioner: Partitioner{Kind: TotalOrder}},
		"teravalidate": {Name: "v", Input: Input{Paths: []string{"i"}, Records: TeraRecords}, Output: "o",
			Map: Phase{Func: TeraValidate}, Reduce: &Phase{Func: TeraValidate, Tasks: 1}},
	}
	for name, j := range jobs {
		if err := j.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestValidateNamesWhatIsWrong(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(*Job)
		want  string
	}{
		{"no name", func(j *Job) { j.Name = "" }, "job name is empty"},
		{"no output", func(j *Job) { j.Output = "" }, "output is empty"},
		{"no input", func(j *Job) { j.Input.Paths = nil }, "input is empty"},
		{"paths and rows", func(j *Job) { j.Input.Rows = 5 }, "both paths"},
		{"records", func(j *Job) { j.Input.Records = "csv" }, `input records "csv" is not supported`},
		{"map func", func(j *Job) { j.Map.Func = "grep" }, `map: func "grep" is not a map function`},
		{"negative maps", func(j *Job) { j.Map.Tasks = -1 }, "map: tasks -1 is negative"},
		{"no command", func(j *Job) { j.Map.Command = nil }, `map: func "stream" needs a command`},
		{"command for identity", func(j *Job) { j.Map.Func = Identity }, `command ["cat"] is only for func "stream"`},
		{"zero reduces", func(j *Job) { j.Reduce.Tasks = 0 }, "reduce: tasks 0: want at least 1"},
		{"reduce func", func(j *Job) { j.Reduce.Func = TeraGen }, `reduce: func "teragen" is not a reduce function`},
		{"teragen format", func(j *Job) {
			*j = Job{Name: "g", Input: Input{Rows: 1}, Output: "o", Map: Phase{Func: TeraGen, Format: "text"}}
		}, `format: record format "text" is not supported`},
		{"teragen with reduce", func(j *Job) {
			j.Input = Input{Rows: 1}
			j.Map = Phase{Func: TeraGen, Format: "binary"}
		}, "must have no reduce phase"},
		{"rows for stream", func(j *Job) { j.Input = Input{Rows: 3} }, `rows as input need func "teragen"`},
		{"teravalidate reduces", func(j *Job) {
			j.Input.Records = TeraRecords
			j.Map, j.Reduce = Phase{Func: TeraValidate}, &Phase{Func: TeraValidate, Tasks: 2}
		}, "tasks is 2, want 1"},
		{"partitioner kind", func(j *Job) { j.Partitioner.Kind = "range" }, `partitioner: kind "range" is not supported`},
		{"cut count", func(j *Job) {
			j.Partitioner = Partitioner{Kind: TotalOrder, Cuts: [][]byte{{1}, {2}}}
		}, "2 cut points for 1 reduce tasks; want 0"},
		{"cut order", func(j *Job) {
			j.Reduce.Tasks = 3
			j.Partitioner = Partitioner{Kind: TotalOrder, Cuts: [][]byte{{2}, {1}}}
		}, "cut point 1 (01) sorts before cut point 0 (02)"},
		{"sort_mb", func(j *Job) { j.Settings.SortMB = 5000 }, "sort_mb 5000 is out of range"},
		{"merge_factor", func(j *Job) { j.Settings.MergeFactor = 1 }, "merge_factor 1"},
		{"max_attempts", func(j *Job) { j.Settings.MaxAttempts = -2 }, "max_attempts -2 is negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := goodJob()
			tc.spoil(&j)
			err := j.Validate()
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
}
