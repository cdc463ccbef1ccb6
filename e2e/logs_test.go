package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

// stdout and stderr reach Nomad's logs API separately.
func TestLogsThroughAPI(t *testing.T) {
	c := shared(t)
	alloc := runScript(t, c, "echo out-1; echo err-1 >&2; echo out-2; echo err-2 >&2", nil)
	alloc = waitDead(t, c, alloc.ID)
	must.Eq(t, 0, terminated(t, alloc).ExitCode)

	requireStdout(t, c, alloc.ID, "out-1\nout-2\n")
	stderr, err := c.Logs(alloc.ID, task, "stderr")
	must.NoError(t, err)
	must.Eq(t, "err-1\nerr-2\n", string(stderr))
}

// A container that prints 10,000 lines on each stream and exits at once
// loses none of them, and no line is doubled or reordered.
func TestLogsCompleteForFastExit(t *testing.T) {
	c := shared(t)
	alloc := runScript(t, c, "seq 1 10000; seq 1 10000 >&2", nil)
	alloc = waitDead(t, c, alloc.ID)
	must.Eq(t, 0, terminated(t, alloc).ExitCode)

	want := numbered(1, 10000)
	for _, stream := range []string{"stdout", "stderr"} {
		got, err := c.Logs(alloc.ID, task, stream)
		must.NoError(t, err)
		requireLines(t, want, string(got), stream)
	}
}

// numbered returns the lines "from\n" to "to\n", as seq prints them.
func numbered(from, to int) string {
	var b strings.Builder
	for i := from; i <= to; i++ {
		fmt.Fprintf(&b, "%d\n", i)
	}
	return b.String()
}

// requireLines compares logs line by line, reporting the first difference
// rather than two 50 kB strings.
func requireLines(t *testing.T, want, got, what string) {
	t.Helper()
	if want == got {
		return
	}
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) && i < len(g); i++ {
		if w[i] != g[i] {
			t.Fatalf("%s line %d: want %q, got %q (%d lines wanted, %d got)", what, i+1, w[i], g[i], len(w)-1, len(g)-1)
		}
	}
	t.Fatalf("%s: want %d lines, got %d; last got: %q", what, len(w)-1, len(g)-1, g[max(0, len(g)-3):])
}
