package task

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/dockmr/dockmr/jobs"
)

// streamJob returns a streaming job over a small text input.
func streamJob(t *testing.T, mapper, reducer []string, reduces int) jobs.Job {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "a.txt", []byte("the quick brown fox\njumps over the lazy dog\n"))
	writeFile(t, dir, "b.txt", []byte("the dog barks\nthe fox runs"))
	job := jobs.Job{
		Name:   "stream",
		Input:  jobs.Input{Paths: []string{dir}, Records: jobs.Lines},
		Output: filepath.Join(t.TempDir(), "out"),
		Map:    jobs.Phase{Func: jobs.Stream, Tasks: 2, Command: mapper},
	}
	if reducer != nil {
		job.Reduce = &jobs.Phase{Func: jobs.Stream, Tasks: reduces, Command: reducer}
	}
	return job
}

var (
	splitWords = []string{"sh", "-c", `tr -s ' ' '\n' | awk 'NF { print $0 "\t1" }'`}
	// countWords sums counts per key, printing a key when the next one
	// starts, so it is right only if its input is grouped by key.
	countWords = []string{"awk", "-F", "\t", `$1 != k { if (NR > 1) print k "\t" n; k = $1; n = 0 } { n += $2 } END { if (NR > 0) print k "\t" n }`}
)

func TestStreamingWordCount(t *testing.T) {
	job := streamJob(t, splitWords, countWords, 2)
	res, _, err := runJob(t, &inProcess{t: t}, job)
	if err != nil {
		t.Fatal(err)
	}
	got := sortedLines(readParts(t, job.Output))
	want := "barks\t1\nbrown\t1\ndog\t2\nfox\t2\njumps\t1\nlazy\t1\nover\t1\nquick\t1\nruns\t1\nthe\t4\n"
	if got != want {
		t.Errorf("word counts:\n%s\nwant:\n%s", got, want)
	}
	if res.Map.RecordsOut != 15 || res.Reduce.RecordsOut != 10 {
		t.Errorf("map wrote %d records and reduce %d, want 15 and 10", res.Map.RecordsOut, res.Reduce.RecordsOut)
	}
}

// The reducer fails unless every key comes in one sorted group.
func TestStreamingReducerSeesSortedGroups(t *testing.T) {
	check := []string{"awk", "-F", "\t", `
		$1 < prev { print "unsorted: " $1 " after " prev > "/dev/stderr"; exit 1 }
		$1 != prev && ($1 in seen) { print "key " $1 " in two groups" > "/dev/stderr"; exit 1 }
		{ seen[$1] = 1; prev = $1; print }`}
	job := streamJob(t, splitWords, check, 1)
	if _, _, err := runJob(t, &inProcess{t: t}, job); err != nil {
		t.Fatal(err)
	}
}

func TestStreamingMapOnly(t *testing.T) {
	job := streamJob(t, []string{"tr", "a-z", "A-Z"}, nil, 0)
	if _, _, err := runJob(t, &inProcess{t: t}, job); err != nil {
		t.Fatal(err)
	}
	got := sortedLines(readParts(t, job.Output))
	want := "JUMPS OVER THE LAZY DOG\nTHE DOG BARKS\nTHE FOX RUNS\nTHE QUICK BROWN FOX\n"
	if got != want {
		t.Errorf("map-only output:\n%s\nwant:\n%s", got, want)
	}
}

func TestStreamingCommandFailures(t *testing.T) {
	for _, tc := range []struct {
		name            string
		mapper, reducer []string
		want            []string
	}{
		{"mapper not found", []string{"no-such-mapper-cmd"}, nil,
			[]string{`mapper "no-such-mapper-cmd" cannot start`, "executable file not found"}},
		{"mapper fails", []string{"sh", "-c", "echo bad input line 7 >&2; exit 3"}, nil,
			[]string{`mapper "sh -c echo bad input line 7 >&2; exit 3" failed: exit status 3: bad input line 7`}},
		{"reducer fails", splitWords, []string{"sh", "-c", "cat >/dev/null; echo cannot reduce >&2; exit 4"},
			[]string{"r-00000", "reducer", "exit status 4: cannot reduce"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			job := streamJob(t, tc.mapper, tc.reducer, 1)
			_, _, err := runJob(t, &inProcess{t: t}, job)
			if err == nil {
				t.Fatal("job succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			if _, err := os.Stat(job.Output); !os.IsNotExist(err) {
				t.Errorf("failed job left its output directory: %v", err)
			}
		})
	}
}

func sortedLines(b []byte) string {
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}
