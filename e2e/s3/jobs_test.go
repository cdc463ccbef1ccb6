package s3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockmr/dockmr/internal/s3test"
	"github.com/dockmr/dockmr/internal/testbin"
	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/local"
	"github.com/dockmr/dockmr/jobs/terajob"
	"github.com/dockmr/dockmr/storage"
)

var taskBin, dockmrBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dockmr-s3-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	taskBin, err = testbin.Build(dir, "github.com/dockmr/dockmr/cmd/dockmr-task", "dockmr-task")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if dockmrBin, err = testbin.Build(dir, "github.com/dockmr/dockmr/cmd/dockmr", "dockmr"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// startS3 starts versitygw with a bucket "tera", points this process (and
// the task processes it starts) at it, and keeps local staging in a
// temporary directory.
func startS3(t *testing.T) (*s3test.Server, *storage.S3) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts versitygw")
	}
	srv := s3test.Start(t)
	srv.Bucket(t, "tera")
	srv.Setenv(t)
	t.Setenv(jobs.StagingRootEnv, t.TempDir())
	s, err := storage.NewS3(context.Background(), "tera")
	if err != nil {
		t.Fatal(err)
	}
	return srv, s
}

// run returns a function that runs a planned job with the local runner.
func run(t *testing.T) func(*jobs.Plan, error) *jobs.Result {
	return func(plan *jobs.Plan, err error) *jobs.Result {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		r := &local.Runner{Command: []string{taskBin}, Parallel: 2, Log: testLog{t}}
		res, err := jobs.Run(context.Background(), r, plan)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// readObjects returns the part objects under a prefix, concatenated in
// name order, and the names of every object there.
func readObjects(t *testing.T, s *storage.S3, prefix string) ([]byte, []string) {
	t.Helper()
	ctx := context.Background()
	objs, err := s.List(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	var names []string
	for _, o := range objs {
		name := strings.TrimPrefix(o.Key, prefix)
		if strings.HasPrefix(name, jobs.HistoryDir+"/") {
			continue
		}
		names = append(names, name)
		if !strings.HasPrefix(name, "part-") {
			continue
		}
		rc, err := s.Open(ctx, o.Key, 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all, names
}

func readDir(t *testing.T, dir string) []byte {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(dir, "part-*"))
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

func noPending(t *testing.T, s *storage.S3, prefix string) {
	t.Helper()
	p, err := s.Pending(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 0 {
		t.Errorf("pending uploads left under %s: %v", prefix, p)
	}
}

// TestTeraSortS3 runs teragen → terasort → teravalidate on s3:// against
// versitygw, and the same terasort on a directory: same bytes, same
// checksum, no pending upload left.
func TestTeraSortS3(t *testing.T) {
	_, s := startS3(t)
	const rows = 300_000
	set := jobs.Settings{MaxAttempts: 1}
	gen := run(t)(terajob.Gen{Rows: rows, Output: "s3://tera/in", Maps: 3, Settings: set}.Plan())
	sorted := run(t)(terajob.Sort{Input: []string{"s3://tera/in"}, Output: "s3://tera/out", Maps: 4, Reduces: 3, Settings: set}.Plan())
	if sorted.Checksum != gen.Checksum || sorted.Output != "s3://tera/out" {
		t.Errorf("terasort: checksum %s to %s, want teragen's %s", sorted.Checksum, sorted.Output, gen.Checksum)
	}
	plan, err := jobs.NewPlan(terajob.Validate{Input: []string{"s3://tera/out"}, Output: "s3://tera/report", Settings: set}.Job())
	res := run(t)(plan, err)
	rep, err := terajob.ReadReport(res.Output)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Checksum != gen.Checksum.Checksum || len(rep.Errors) != 0 {
		t.Errorf("teravalidate: checksum %v, errors %q; want teragen's %s and none", rep.Checksum, rep.Errors, gen.Checksum)
	}

	// The same sort from and to a directory writes the same bytes.
	dir := t.TempDir()
	run(t)(terajob.Gen{Rows: rows, Output: filepath.Join(dir, "in"), Maps: 2, Settings: set}.Plan())
	run(t)(terajob.Sort{Input: []string{filepath.Join(dir, "in")}, Output: filepath.Join(dir, "out"), Maps: 4, Reduces: 3, Settings: set}.Plan())
	got, names := readObjects(t, s, "out/")
	if want := readDir(t, filepath.Join(dir, "out")); !bytes.Equal(got, want) {
		t.Errorf("terasort to S3 wrote %d bytes unlike the %d of the same sort to a directory", len(got), len(want))
	}
	if strings.Join(names, " ") != "_SUCCESS part-r-00000 part-r-00001 part-r-00002" {
		t.Errorf("output objects %q", names)
	}
	noPending(t, s, "")
}

// TestMixedInputs runs a streaming job (cat as its mapper) that reads a
// directory and an S3 prefix and writes a directory, then one that reads
// that directory and writes S3.
func TestMixedInputs(t *testing.T) {
	_, s := startS3(t)
	dir := t.TempDir()
	var local, remote bytes.Buffer
	for i := range 20000 {
		fmt.Fprintf(&local, "local line %d\n", i)
		fmt.Fprintf(&remote, "remote line %d\n", i)
	}
	if err := os.MkdirAll(filepath.Join(dir, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "in", "a.txt"), local.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(context.Background(), "lines/b.txt", bytes.NewReader(remote.Bytes()), false); err != nil {
		t.Fatal(err)
	}
	job := func(in []string, out string) jobs.Job {
		return jobs.Job{
			Name: "mixed", Input: jobs.Input{Paths: in, Records: jobs.Lines}, Output: out,
			Map: jobs.Phase{Func: jobs.Stream, Command: []string{"cat"}, Tasks: 4}, Settings: jobs.Settings{MaxAttempts: 1},
		}
	}
	out := filepath.Join(dir, "out")
	p, err := jobs.NewPlan(job([]string{filepath.Join(dir, "in"), "s3://tera/lines"}, out))
	res := run(t)(p, err)
	if want := uint64(40000); res.Map.RecordsOut != want {
		t.Errorf("read %d lines, want %d", res.Map.RecordsOut, want)
	}
	if got, want := readDir(t, out), append(local.Bytes(), remote.Bytes()...); !bytes.Equal(got, want) {
		t.Errorf("directory output is %d bytes, want %d", len(got), len(want))
	}
	p, err = jobs.NewPlan(job([]string{out}, "s3://tera/copy"))
	run(t)(p, err)
	if got, _ := readObjects(t, s, "copy/"); !bytes.Equal(got, append(local.Bytes(), remote.Bytes()...)) {
		t.Errorf("S3 output is %d bytes, want %d", len(got), local.Len()+remote.Len())
	}
}
