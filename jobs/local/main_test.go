package local_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockmr/dockmr/internal/testbin"
	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/local"
)

// taskBin is the dockmr-task binary that the tests' runners execute.
var taskBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dockmr-local-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	taskBin, err = testbin.Build(dir, "github.com/dockmr/dockmr/cmd/dockmr-task", "dockmr-task")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runJob plans and runs a job with the local runner, logging the tasks'
// stderr to the test.
func runJob(t *testing.T, job jobs.Job) (*jobs.Result, error) {
	t.Helper()
	plan, err := jobs.NewPlan(job)
	if err != nil {
		return nil, err
	}
	r := &local.Runner{Command: []string{taskBin}, Parallel: 2, Log: testLog{t}}
	return jobs.Run(context.Background(), r, plan)
}

// testLog writes to the test's log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// readParts returns the concatenated part files of an output directory, in
// name order.
func readParts(t *testing.T, dir string) []byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "part-*"))
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

// listDir returns the names in a directory.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
