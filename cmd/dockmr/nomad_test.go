package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// withEnv runs dockmr with extra environment variables.
func withEnv(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(dockmr, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("run dockmr %q: %v", args, err)
		}
	}
	return result{stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()}
}

// noAgent points dockmr at an address where no Nomad agent answers.
var noAgent = "NOMAD_ADDR=http://127.0.0.1:1"

func TestNomadIsTheDefaultRunner(t *testing.T) {
	data := t.TempDir()
	out := filepath.Join(data, "out")
	for _, args := range [][]string{
		{"teragen", "--data-dir", data, "100", out},
		{"teragen", "--detach", "--data-dir", data, "100", out},
		{"list"},
		{"status", "job_20260101000000_00000000"},
		{"cancel", "job_20260101000000_00000000"},
		{"history", "job_20260101000000_00000000"},
	} {
		r := withEnv(t, []string{noAgent}, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "no Nomad agent answers at http://127.0.0.1:1") ||
			!strings.Contains(r.stderr, "'dockmr dev'") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("dockmr %q without an agent: exit %d, stderr %q; want 1 and one line naming the address and 'dockmr dev'", args, r.code, r.stderr)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a job that could not reach Nomad created its output directory")
	}
}

func TestNomadRunnerNeedsDataDir(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	r := withEnv(t, []string{noAgent, "DOCKMR_DATA_DIR="}, "teragen", "100", out)
	if r.code != 1 || !strings.Contains(r.stderr, "no shared data directory: pass --data-dir") {
		t.Errorf("teragen without a data directory: exit %d, %q", r.code, r.stderr)
	}
	other := filepath.Join(dir, "shared")
	r = withEnv(t, []string{noAgent, "DOCKMR_DATA_DIR=" + other}, "teragen", "100", out)
	if r.code != 1 || !strings.Contains(r.stderr, `output "`+out+`" is not under the shared data directories ["`+other+`"]`) {
		t.Errorf("teragen outside the data directory: exit %d, %q", r.code, r.stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused job created its output directory")
	}
}

func TestJSONResult(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	r := ok(t, "teragen", "--local", "--json", "--maps", "2", "1000", out)
	var res struct {
		ID       string `json:"id"`
		Checksum string `json:"checksum"`
		Phases   []struct {
			Phase    string `json:"phase"`
			Tasks    int    `json:"tasks"`
			Attempts int    `json:"attempts"`
			Counters struct {
				RecordsOut int `json:"records_out"`
			} `json:"counters"`
		} `json:"phases"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil {
		t.Fatalf("--json printed %q: %v", r.stdout, err)
	}
	if !strings.HasPrefix(res.ID, "job_") || res.Checksum == "" || len(res.Phases) != 1 ||
		res.Phases[0].Phase != "map" || res.Phases[0].Tasks != 2 || res.Phases[0].Counters.RecordsOut != 1000 {
		t.Errorf("--json result %+v", res)
	}
	if strings.Contains(r.stderr, "records in") {
		t.Errorf("--json printed the summary table too: %q", r.stderr)
	}
}

func TestSummary(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	ok(t, "teragen", "--local", "--maps", "2", "1000", in)
	r := ok(t, "terasort", "--local", "--reduces", "2", in, out)
	for _, want := range []string{"phase", "records in", "map", "reduce", "checksum", "in all"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("terasort's summary does not show %q:\n%s", want, r.stderr)
		}
	}
	if len(strings.Fields(strings.Split(r.stderr, "\n")[2])) != 9 {
		t.Errorf("the reduce row of the summary has not 9 columns:\n%s", r.stderr)
	}
}
