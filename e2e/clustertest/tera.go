package clustertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/jobs"
)

// Summary is the part of a dockmr command's --json output the tests read.
type Summary struct {
	ID       string  `json:"id"`
	Checksum string  `json:"checksum"`
	Phases   []Phase `json:"phases"`
}

// Phase is one phase of a Summary.
type Phase struct {
	Phase    string `json:"phase"`
	Tasks    int    `json:"tasks"`
	Attempts int    `json:"attempts"`
	Failed   int    `json:"failed_attempts"`
}

// RunJSON runs a dockmr command given --json, fails the test unless it
// succeeds, and returns its summary.
func RunJSON(t testing.TB, cmd *exec.Cmd) Summary {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, stderr.String())
	}
	return DecodeSummary(t, stdout.Bytes())
}

// DecodeSummary parses a dockmr command's --json output.
func DecodeSummary(t testing.TB, out []byte) Summary {
	t.Helper()
	var sum Summary
	must.NoError(t, json.Unmarshal(out, &sum), must.Sprint(string(out)))
	return sum
}

// TeragenLocal writes rows (as dockmr takes them: "3m") of TeraGen input
// into dir with maps local processes, and returns teragen's checksum.
func TeragenLocal(t testing.TB, dockmr string, maps int, rows, dir string) string {
	t.Helper()
	sum := RunJSON(t, exec.Command(dockmr, "teragen", "--local", "--json", "--maps", fmt.Sprint(maps), rows, dir))
	must.NotEq(t, "", sum.Checksum)
	return sum.Checksum
}

// CheckTeraOutput makes sure a terasort wrote the right answer exactly
// once into out: the output directory holds _SUCCESS and one whole part
// file per reduce, records 100-byte records in all, and nothing else (no
// partial, doubled or stray attempt files), and teravalidate finds it
// sorted with checksum want, teragen's.
func CheckTeraOutput(t testing.TB, dockmr, out string, reduces int, records int64, want string) {
	t.Helper()
	entries, err := os.ReadDir(out)
	must.NoError(t, err)
	var names []string
	var size int64
	for _, e := range entries {
		if e.Name() == jobs.HistoryDir && e.IsDir() {
			continue
		}
		names = append(names, e.Name())
		info, err := e.Info()
		must.NoError(t, err)
		must.True(t, info.Mode().IsRegular(), must.Sprintf("%s is a regular file", e.Name()))
		if e.Name() != "_SUCCESS" {
			must.Zero(t, info.Size()%100, must.Sprintf("%s holds whole 100-byte records", e.Name()))
			size += info.Size()
		}
	}
	wantNames := []string{"_SUCCESS"}
	for r := range reduces {
		wantNames = append(wantNames, fmt.Sprintf("part-r-%05d", r))
	}
	slices.Sort(names)
	must.Eq(t, wantNames, names)
	must.Eq(t, records*100, size)

	report := out + "-report"
	b, err := exec.Command(dockmr, "teravalidate", "--local", out, report).CombinedOutput()
	must.NoError(t, err, must.Sprintf("teravalidate: %s", b))
	must.StrContains(t, string(b), "checksum "+want)
}
