package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockmr/dockmr/tera"
)

func nomadEnv(k string) string {
	return map[string]string{"NOMAD_JOB_ID": "teragen", "NOMAD_ALLOC_INDEX": "1", "NOMAD_ALLOC_ID": "0a1b-2c"}[k]
}

func TestParseTeragenTakesNomadEnvironment(t *testing.T) {
	task, err := parseTeragen([]string{"--maps", "3", "--format", "ascii", "1k", "/data/out"}, nomadEnv)
	if err != nil {
		t.Fatal(err)
	}
	if task.JobID != "teragen" || task.Index != 1 || task.Attempt != "0a1b-2c" ||
		task.Gen.Rows != 1000 || task.Gen.Maps != 3 || task.Gen.Format != tera.ASCII || task.Gen.Output != "/data/out" {
		t.Errorf("parsed %+v", task)
	}
	task, err = parseTeragen([]string{"--maps", "3", "--job", "j", "--index", "2", "--attempt", "a", "5", "out"}, nomadEnv)
	if err != nil || task.JobID != "j" || task.Index != 2 || task.Attempt != "a" {
		t.Errorf("flags do not override the environment: %+v, %v", task, err)
	}
}

func TestParseTeragenRejectsBadInput(t *testing.T) {
	none := func(string) string { return "" }
	for _, tc := range []struct {
		args []string
		env  func(string) string
		want string
	}{
		{[]string{"--maps", "2", "10"}, nomadEnv, "got 1 arguments"},
		{[]string{"--maps", "2", "10", "out", "--format", "ascii"}, nomadEnv, "got 4 arguments"},
		{[]string{"--maps", "2", "ten", "out"}, nomadEnv, `rows "ten" is not a number`},
		{[]string{"--maps", "0", "10", "out"}, nomadEnv, "--maps 0: want the number of map tasks, at least 1"},
		{[]string{"10", "out"}, nomadEnv, "--maps 0"},
		{[]string{"--maps", "2", "--format", "ebcdic", "10", "out"}, nomadEnv, "--format"},
		{[]string{"--maps", "2", "--index", "x", "10", "out"}, nomadEnv, `task index "x": want a number from 0 to 1`},
		{[]string{"--maps", "2", "10", "out"}, none, "no job id: pass --job ID or set NOMAD_JOB_ID"},
		{[]string{"--maps", "2", "--job", "j", "10", "out"}, none, "no task index"},
		{[]string{"--maps", "2", "--job", "j", "--index", "0", "10", "out"}, none, "no attempt id"},
		{[]string{"--bogus"}, nomadEnv, "flag provided but not defined: -bogus"},
	} {
		_, err := parseTeragen(tc.args, tc.env)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v; want one containing %q", tc.args, err, tc.want)
		}
	}
}

// The command's exit status and messages: a bad command line is 2 with the
// usage, a task that cannot run is 1, a committed task and job are 0.
func TestTeragenMain(t *testing.T) {
	var stderr bytes.Buffer
	if code := teragenMain(context.Background(), []string{"--maps", "x"}, &stderr); code != 2 || !strings.Contains(stderr.String(), "usage: dockmr-task teragen") {
		t.Errorf("bad flag: status %d, stderr %q", code, stderr.String())
	}
	out := filepath.Join(t.TempDir(), "out")
	t.Setenv("NOMAD_JOB_ID", "teragen")
	t.Setenv("NOMAD_ALLOC_ID", "a")
	stderr.Reset()
	if code := teragenMain(context.Background(), []string{"--maps", "1", "--index", "1", "10", out}, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), "task index 1 is out of range") {
		t.Errorf("bad index: status %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	if code := teragenMain(context.Background(), []string{"--maps", "1", "--index", "0", "10", out}, &stderr); code != 0 ||
		!strings.Contains(stderr.String(), "m-00000 attempt a committed") ||
		!strings.Contains(stderr.String(), "job teragen committed to "+out+": 10 records (1000 bytes)") {
		t.Errorf("status %d, stderr %q", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(out, "_SUCCESS")); err != nil {
		t.Error(err)
	}
}
