package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUsageErrors(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"teragen"}, []string{"teragen: got 0 arguments, want ROWS OUTDIR", "dockmr teragen --help"}},
		{[]string{"teragen", "10"}, []string{"got 1 arguments, want ROWS OUTDIR"}},
		{[]string{"teragen", "ten", out}, []string{`rows "ten" is not a number`, "k, m, b or t suffix"}},
		{[]string{"teragen", "12q", out}, []string{`rows "12q" is not a number`}},
		{[]string{"teragen", "0", out}, []string{`rows "0": want at least 1 row`}},
		{[]string{"teragen", "--format", "text", "10", out}, []string{`--format: record format "text" is not supported`}},
		{[]string{"teragen", "--maps", "0", "10", out}, []string{"--maps 0: want at least 1"}},
		{[]string{"teragen", "--maps", "many", "10", out}, []string{"teragen:", "--help"}},
		{[]string{"teragen", "--frobnicate", "10", out}, []string{"flag provided but not defined: -frobnicate"}},
		{[]string{"teragen", "10", out, "--local", "--maps"}, []string{"teragen: flag --maps needs a value", "dockmr teragen --help"}},
		{[]string{"teragen", "10", out, "--local", "--maps", "0"}, []string{"--maps 0: want at least 1"}},
		{[]string{"teragen", "--runner", "yarn", "10", out}, []string{`runner "yarn" is not known: use local or nomad`}},
		{[]string{"teragen", "--local", "--detach", "10", out}, []string{"--detach needs the Nomad runner"}},
		{[]string{"teragen", "--memory", "8", "10", out}, []string{"--memory 8 is out of range; want 32 to"}},
		{[]string{"teragen", "--cpu", "-1", "10", out}, []string{"--cpu -1 is out of range"}},
		{[]string{"status"}, []string{"status: got 0 arguments, want JOB"}},
		{[]string{"cancel", "a", "b"}, []string{"cancel: got 2 arguments, want JOB"}},
		{[]string{"logs"}, []string{"logs: got 0 arguments, want JOB [TASK]"}},
		{[]string{"logs", "job_1", "map-3"}, []string{`logs: task "map-3": want a task like m-00003`}},
		{[]string{"list", "x"}, []string{"list: takes no arguments"}},
		{[]string{"teragen", "--parallel", "0", "10", out}, []string{"--parallel 0 is out of range; want 1 to"}},
		{[]string{"terasort", "--sort-mb", "0", "in", out}, []string{"--sort-mb 0 is out of range; want 1 to 4095"}},
		{[]string{"run", "--merge-factor", "1", "spec.hcl"}, []string{"--merge-factor 1 is out of range"}},
		{[]string{"teragen", "--nomad-outage-wait", "0s", "10", out}, []string{"--nomad-outage-wait 0s is out of range; want 1s to 24h"}},
		{[]string{"terasort", "--reduces", "0", "in", out}, []string{"--reduces 0: want at least 1"}},
		{[]string{"terasort", "in"}, []string{"want INDIR OUTDIR"}},
		{[]string{"teravalidate", "a", "b", "c"}, []string{"got 3 arguments, want INDIR REPORTDIR"}},
		{[]string{"run"}, []string{"want JOBSPEC"}},
		{[]string{"sort", "a", "b"}, []string{`unknown command "sort"`}},
		{[]string{"dev", "--hosts", "17"}, []string{"--hosts 17 is out of range; want 1 to 16"}},
		{[]string{"dev", "--hosts", "3", "--clients", "2"}, []string{"--clients 2 and --hosts 3: every host runs one client"}},
		{[]string{"dev", "--hosts", "2", "--http-port", "5000"}, []string{"--http-port with --hosts"}},
		{[]string{"dev", "--subnet", "198.18.0.0/24"}, []string{"--subnet is for --hosts"}},
		{[]string{"dev", "--image", "team/app:1.2"}, []string{"--image is for --hosts"}},
		{[]string{"dev", "--hosts", "2", "--subnet", "198.18.0.0"}, []string{`--subnet "198.18.0.0" is not a CIDR prefix`}},
	} {
		fails(t, 2, tc.want, tc.args...)
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("dockmr %q created the output directory", tc.args)
		}
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, size int) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, size), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ragged := write("ragged/part-m-00000", 1050)
	write("empty/part-m-00000", 0)
	write("good/part-m-00000", 1000)
	if err := os.Mkdir(filepath.Join(dir, "nofiles"), 0o755); err != nil {
		t.Fatal(err)
	}
	in := func(name string) string { return filepath.Join(dir, name) }
	out := filepath.Join(dir, "out")
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"terasort", in("missing"), out}, []string{"input " + in("missing") + " does not exist"}},
		{[]string{"terasort", in("nofiles"), out}, []string{"input directory " + in("nofiles") + " holds no input files"}},
		{[]string{"terasort", in("empty"), out}, []string{"is empty: no file holds any bytes"}},
		{[]string{"terasort", in("ragged"), out}, []string{"input file " + ragged + ": size 1050 bytes is not a multiple of the 100-byte record"}},
		{[]string{"teravalidate", in("ragged"), out}, []string{"size 1050 bytes is not a multiple of the 100-byte record"}},
		{[]string{"terasort", in("good"), in("good")}, []string{"would overwrite input file"}},
		{[]string{"run", in("missing.hcl")}, []string{"job spec:", "missing.hcl"}},
	} {
		fails(t, 1, tc.want, tc.args...)
		if _, err := os.Stat(out); err == nil {
			t.Fatalf("dockmr %q created the output directory", tc.args)
		}
	}
}

func TestExistingOutputNeedsOverwrite(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(out, "old-file")
	if err := os.WriteFile(old, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	fails(t, 1, []string{"output directory already exists: " + out, "--overwrite"}, "teragen", "--local", "100", out)
	if b, err := os.ReadFile(old); err != nil || string(b) != "keep me" {
		t.Fatalf("the refused job touched the existing output: %q, %v", b, err)
	}
	ok(t, "teragen", "--local", "--overwrite", "--maps", "1", "100", out)
	if _, err := os.Stat(old); err == nil {
		t.Error("--overwrite kept the previous output's file")
	}
	if st, err := os.Stat(filepath.Join(out, "part-m-00000")); err != nil || st.Size() != 10000 {
		t.Errorf("--overwrite did not write the new output: %v", err)
	}
}

func TestStreamingFailures(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "in.txt"), []byte("one\ntwo\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	notFound := spec("notfound.hcl", `job "nf" {
  input  = "in.txt"
  output = "out"
  map {
    command = ["no-such-mapper-program"]
  }
}
`)
	failing := spec("failing.hcl", `job "fail" {
  input  = "in.txt"
  output = "out"
  map {
    command = "echo 'mapper: cannot parse input' >&2; exit 3"
  }
  reduce {}
}
`)
	badSpec := spec("bad.hcl", `job "bad" {
  input  = "in.txt"
  output = "out"
  map {
    tasks = -1
  }
}
`)
	fails(t, 1, []string{`mapper "no-such-mapper-program" cannot start: executable file not found in $PATH`}, "run", "--local", notFound)
	fails(t, 1, []string{"exit status 3: mapper: cannot parse input"}, "run", "--local", failing)
	fails(t, 1, []string{badSpec + ":5:13:", "tasks -1 is too small; want at least 1"}, "run", badSpec)
	// Both failed jobs left their history, and nothing else.
	histories, _ := filepath.Glob(filepath.Join(dir, "out", "_history", "job_*.json"))
	if all, _ := filepath.Glob(filepath.Join(dir, "out", "*")); len(histories) != 2 || len(all) != 1 {
		t.Errorf("the failed streaming jobs left %q in their output directory, want their 2 histories only (%q)", all, histories)
	}
	for _, h := range histories {
		if b, err := os.ReadFile(h); err != nil || !strings.Contains(string(b), `"state": "failed"`) {
			t.Errorf("history %s: %v: %s", h, err, b)
		}
	}
}
