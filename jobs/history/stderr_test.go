package history

import (
	"strings"
	"testing"

	"github.com/dockmr/dockmr/jobs"
)

func TestWriteStderrTails(t *testing.T) {
	rec := &Record{Attempts: []Attempt{
		{Phase: jobs.MapTask, Task: 0, Number: 1, Node: "n1", State: AttemptFailed, ExitCode: 1,
			Failure: "mapper failed: exit status 1: ValueError: x", StderrTail: "Traceback:\n  File \"m.py\"\nValueError: x"},
		{Phase: jobs.MapTask, Task: 0, Number: 2, Node: "n1", State: AttemptCommitted},
		{Phase: jobs.MapTask, Task: 1, Number: 1, Node: "n2", State: AttemptFailed, ExitCode: 137, StderrTail: "killed"},
		{Phase: jobs.ReduceTask, Task: 0, Number: 1, Node: "n2", State: AttemptFailed, Failure: "no image"},
	}}
	var b strings.Builder
	n, err := WriteStderrTails(&b, rec, "")
	want := "m-00000 attempt 1 on n1 (failed, exit code 1): mapper failed: exit status 1: ValueError: x\n" +
		"    Traceback:\n      File \"m.py\"\n    ValueError: x\n\n" +
		"m-00001 attempt 1 on n2 (failed, exit code 137)\n    killed\n"
	if err != nil || n != 2 || b.String() != want {
		t.Errorf("every failed attempt: %d, %v:\n%s\nwant:\n%s", n, err, b.String(), want)
	}
	b.Reset()
	if n, err := WriteStderrTails(&b, rec, "m-00001"); err != nil || n != 1 || !strings.HasPrefix(b.String(), "m-00001 attempt 1") {
		t.Errorf("task m-00001: %d, %v:\n%s", n, err, b.String())
	}
	b.Reset()
	if n, err := WriteStderrTails(&b, rec, "r-00000"); err != nil || n != 0 || b.Len() != 0 {
		t.Errorf("a task without stderr kept: %d, %v, %q", n, err, b.String())
	}
}
