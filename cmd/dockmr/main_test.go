package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/dockmr/dockmr/internal/testbin"
)

// dockmr is the binary under test, built once for all tests.
var dockmr string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dockmr-cli-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dockmr, err = testbin.Build(dir, "github.com/dockmr/dockmr/cmd/dockmr", "dockmr")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what a run of dockmr printed and how it exited.
type result struct {
	stdout, stderr string
	code           int
}

// dockmrRun runs dockmr with args.
func dockmrRun(t *testing.T, args ...string) result {
	t.Helper()
	cmd := exec.Command(dockmr, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("run dockmr %q: %v", args, err)
	}
	r := result{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic:") {
		t.Errorf("dockmr %q printed a stack trace:\n%s", args, r.stderr)
	}
	return r
}

// ok runs dockmr and fails the test unless it succeeds.
func ok(t *testing.T, args ...string) result {
	t.Helper()
	r := dockmrRun(t, args...)
	if r.code != 0 {
		t.Fatalf("dockmr %q exited %d:\n%s", args, r.code, r.stderr)
	}
	return r
}

// fails runs dockmr and checks that it exits with code and prints one
// line "dockmr: ..." on stderr containing every one of want.
func fails(t *testing.T, code int, want []string, args ...string) result {
	t.Helper()
	r := dockmrRun(t, args...)
	if r.code != code {
		t.Errorf("dockmr %q exited %d, want %d; stderr:\n%s", args, r.code, code, r.stderr)
	}
	if !strings.HasPrefix(r.stderr, "dockmr: ") || strings.Count(r.stderr, "\n") != 1 {
		t.Errorf("dockmr %q: stderr is not one line \"dockmr: ...\":\n%s", args, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("dockmr %q: stderr %q does not say %q", args, r.stderr, w)
		}
	}
	return r
}

var checksumLine = regexp.MustCompile(`(?m)^checksum ([0-9a-f]+)$`)

// checksum returns the checksum a command printed.
func checksum(t *testing.T, r result) string {
	t.Helper()
	m := checksumLine.FindStringSubmatch(r.stdout)
	if m == nil {
		t.Fatalf("no checksum line in %q", r.stdout)
	}
	return m[1]
}
