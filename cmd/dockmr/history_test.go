package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dockmr/dockmr/internal/browsertest"
	"github.com/dockmr/dockmr/jobs/history"
)

// A --local terasort leaves a history whose counters add up, which
// `dockmr history` prints as one row per attempt and draws as one bar per
// attempt.
func TestHistoryOfLocalJobs(t *testing.T) {
	dir := t.TempDir()
	gen, sorted := filepath.Join(dir, "gen"), filepath.Join(dir, "sorted")
	ok(t, "teragen", "--local", "--maps", "3", "3000", gen)
	ok(t, "terasort", "--local", "--reduces", "2", gen, sorted)

	var genRec, rec history.Record
	if err := json.Unmarshal([]byte(ok(t, "history", "--json", gen).stdout), &genRec); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(ok(t, "history", "--json", sorted).stdout), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.State != history.StateComplete || rec.Runner != "local" || len(rec.Attempts) != 3+2 {
		t.Fatalf("history: state %s, runner %s, %d attempts; want complete, local, 5", rec.State, rec.Runner, len(rec.Attempts))
	}
	if *rec.Checksum != *genRec.Checksum {
		t.Errorf("terasort's checksum %s differs from teragen's %s", rec.Checksum, genRec.Checksum)
	}
	var mapOut, shuffle uint64
	for _, a := range rec.Attempts {
		if a.Counters == nil || a.Node == "" || a.Started.IsZero() || a.Finished.Before(a.Started) {
			t.Errorf("attempt %+v lacks counters, node or times", a)
			continue
		}
		if a.Phase == "map" {
			mapOut += a.Counters.BytesOut
		}
		shuffle += a.Counters.ShuffleBytes
	}
	if shuffle == 0 || shuffle != mapOut || rec.Counters.ShuffleBytes != shuffle {
		t.Errorf("shuffle bytes %d (job %d), map output bytes %d: want equal and more than 0", shuffle, rec.Counters.ShuffleBytes, mapOut)
	}

	table := ok(t, "history", sorted).stdout
	rows := regexp.MustCompile(`(?m)^(map|reduce) +[mr]-\d{5} +\d+ `).FindAllString(table, -1)
	if len(rows) != len(rec.Attempts) || !strings.Contains(table, "checksum "+rec.Checksum.String()) {
		t.Errorf("the table has %d attempt rows, want %d, and the checksum:\n%s", len(rows), len(rec.Attempts), table)
	}

	page := filepath.Join(dir, "page.html")
	ok(t, "history", "--html", page, filepath.Join(sorted, "_history", rec.ID+".json"))
	b, err := os.ReadFile(page)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(barElement.FindAllString(string(b), -1)); n != len(rec.Attempts) {
		t.Errorf("the page has %d bars, want %d", n, len(rec.Attempts))
	}
	browsertest.Require(t)
	if n := len(barElement.FindAllString(browsertest.DumpDOM(t, page), -1)); n != len(rec.Attempts) {
		t.Errorf("the rendered page has %d bars, want %d", n, len(rec.Attempts))
	}
}

// A local attempt that fails is in the history with its exit code and
// message, and its retry is the committed attempt.
func TestHistoryOfLocalRetry(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("b\na\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "retry.hcl")
	marker := filepath.Join(dir, "failed-once")
	if err := os.WriteFile(spec, []byte(`job "retry" {
  input  = "in.txt"
  output = "out"
  map {
    command = "if [ -e `+marker+` ]; then cat; else touch `+marker+`; echo 'mapper: <bad> input' >&2; exit 3; fi"
  }
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ok(t, "run", "--local", "--max-attempts", "2", spec)
	var rec history.Record
	if err := json.Unmarshal([]byte(ok(t, "history", "--json", filepath.Join(dir, "out")).stdout), &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Attempts) != 2 {
		t.Fatalf("%d attempts, want 2: %+v", len(rec.Attempts), rec.Attempts)
	}
	failed, retry := rec.Attempts[0], rec.Attempts[1]
	if failed.State != history.AttemptFailed || failed.ExitCode != 1 || !strings.Contains(failed.Failure, "mapper: <bad> input") || failed.Counters != nil {
		t.Errorf("first attempt %+v: want failed with exit code 1, the mapper's message and no counters", failed)
	}
	if retry.State != history.AttemptCommitted || retry.Number != 2 || retry.Counters == nil || retry.Counters.RecordsOut != 2 {
		t.Errorf("second attempt %+v: want attempt 2, committed, 2 records out", retry)
	}
	if rec.Phases[0].FailedAttempts != 1 || rec.Phases[0].Attempts != 2 {
		t.Errorf("phase %+v: want 2 attempts, 1 failed", rec.Phases[0])
	}
}

func TestHistoryBadInput(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.json")
	if err := os.WriteFile(corrupt, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	fails(t, 2, []string{"history: got 0 arguments, want JOB"}, "history")
	fails(t, 1, []string{"job history " + corrupt + " is corrupt"}, "history", corrupt)
	fails(t, 1, []string{dir + " holds no job history", "output directory"}, "history", dir)
	fails(t, 1, []string{filepath.Join(dir, "nope")}, "history", filepath.Join(dir, "nope"))

	good := filepath.Join(dir, "gen")
	ok(t, "teragen", "--local", "100", good)
	fails(t, 1, []string{"--html " + filepath.Join(dir, "no", "dir", "p.html")}, "history", "--html", filepath.Join(dir, "no", "dir", "p.html"), good)
}

// barElement finds the bars of a history page: elements with a
// data-attempt attribute.
var barElement = regexp.MustCompile(`<[a-z]+ [^>]*\bdata-attempt="`)

// A --local job whose task failed twice and then succeeded says so in its
// summary, table and JSON, as its history does.
func TestSummaryAgreesWithHistory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("b\na\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	count := filepath.Join(dir, "tries")
	spec := filepath.Join(dir, "flaky.hcl")
	if err := os.WriteFile(spec, []byte(`job "flaky" {
  input  = "in.txt"
  output = "out"
  map {
    command = "echo x >> `+count+`; if [ $(wc -l < `+count+`) -gt 2 ]; then cat; else echo 'mapper: not yet' >&2; exit 3; fi"
  }
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := ok(t, "run", "--local", "--max-attempts", "3", spec)
	var row []string
	for _, line := range strings.Split(r.stderr, "\n") {
		if f := strings.Fields(line); len(f) > 4 && f[0] == "map" {
			row = f
		}
	}
	if len(row) < 4 || row[1] != "1" || row[2] != "3" || row[3] != "2" {
		t.Errorf("summary's map row %q, want 1 task, 3 attempts, 2 failed:\n%s", row, r.stderr)
	}
	var rec history.Record
	if err := json.Unmarshal([]byte(ok(t, "history", "--json", filepath.Join(dir, "out")).stdout), &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Phases) != 1 || rec.Phases[0].Attempts != 3 || rec.Phases[0].FailedAttempts != 2 {
		t.Errorf("history phases %+v, want one with 3 attempts, 2 failed", rec.Phases)
	}

	out2 := filepath.Join(dir, "out2")
	r = ok(t, "run", "--local", "--max-attempts", "3", "--json", "--output", out2, spec)
	var s jobSummary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatal(err)
	}
	// The count file says 3 lines already: the second job succeeds at once.
	if len(s.Phases) != 1 || s.Phases[0].Attempts != 1 || s.Phases[0].Failed != 0 {
		t.Errorf("--json summary phases %+v, want 1 attempt, none failed", s.Phases)
	}
}

// A streaming mapper that prints a traceback and exits 1: the error, the
// history and `dockmr logs OUTDIR` keep the traceback's lines; a long
// stderr is kept by its end, bounded.
func TestFailedTaskKeepsItsStderrTail(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	traceback := []string{
		"Traceback (most recent call last):",
		`  File "mapper.py", line 3, in <module>`,
		"    parse(line)",
		"ValueError: bad record 'one'",
	}
	mapper := filepath.Join(dir, "mapper.sh")
	script := "i=0; while [ $i -lt 2000 ]; do i=$((i+1)); echo \"noise $i\"; done >&2\n" +
		"printf '%s\\n' " + shellQuote(traceback) + " >&2\nexit 1\n"
	if err := os.WriteFile(mapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "tb.hcl")
	if err := os.WriteFile(spec, []byte(`job "tb" {
  input  = "in.txt"
  output = "out"
  map {
    command = ["/bin/sh", "`+mapper+`"]
  }
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	r := dockmrRun(t, "run", "--local", "--max-attempts", "2", spec)
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	if r.code != 1 || !strings.HasPrefix(last, "dockmr: ") || !strings.Contains(last, "exit status 1: ValueError: bad record 'one' (failed 2 attempts)") {
		t.Errorf("exit %d, last line %q; want 1 and the mapper's last line", r.code, last)
	}
	block := strings.Join(lines[:len(lines)-1], "\n")
	if !strings.Contains(block, "the failed task's stderr ends with:\n") || !strings.HasSuffix(block, "\n    "+strings.Join(traceback, "\n    ")) {
		t.Errorf("stderr before the error line does not end with the indented traceback:\n%s", block)
	}
	if strings.Contains(block, "noise 1\n") || !strings.Contains(block, "noise 2000") || strings.Contains(block, "dockmr-task: ") {
		t.Errorf("the kept stderr should hold the end of the noise, not its start nor the runtime's report:\n%s", block)
	}

	var rec history.Record
	if err := json.Unmarshal([]byte(ok(t, "history", "--json", filepath.Join(dir, "out")).stdout), &rec); err != nil {
		t.Fatal(err)
	}
	if len(rec.Attempts) != 2 {
		t.Fatalf("%d attempts, want 2", len(rec.Attempts))
	}
	for _, a := range rec.Attempts {
		if !strings.HasSuffix(a.StderrTail, strings.Join(traceback, "\n")) || len(a.StderrTail) > 4096 || strings.Contains(a.Failure, "\n") {
			t.Errorf("attempt %d: failure %q, stderr tail (%d bytes) %q; want one line and the traceback within 4 KiB", a.Number, a.Failure, len(a.StderrTail), a.StderrTail)
		}
	}
	if !strings.Contains(rec.Error, traceback[1]) {
		t.Errorf("the history's error %q does not hold the traceback", rec.Error)
	}

	for _, args := range [][]string{
		{"logs", filepath.Join(dir, "out")},
		{"logs", filepath.Join(dir, "out"), "m-00000", "--stderr"},
	} {
		r := ok(t, args...)
		if strings.Count(r.stderr, "\n    "+traceback[3]+"\n") != 2 || !strings.HasPrefix(r.stderr, "m-00000 attempt 1 on ") {
			t.Errorf("dockmr %q printed:\n%s\nwant both attempts' tracebacks", args, r.stderr)
		}
	}
	r = ok(t, "logs", filepath.Join(dir, "out"), "m-00001")
	if !strings.Contains(r.stderr, "no stderr kept for m-00001") {
		t.Errorf("logs of a task without a failed attempt: %q", r.stderr)
	}
	fails(t, 2, []string{"keeps no stdout"}, "logs", "--stdout", filepath.Join(dir, "out"))
}

// shellQuote quotes each of args for sh, joined by spaces.
func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(q, " ")
}
