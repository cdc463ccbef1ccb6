package terajob

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/tera"
)

// A task killed in the middle of the job commit, after some part files
// moved into the output, leaves its commit unfinished. While it lives no
// other task commits; once it is gone, its next attempt finishes the
// commit.
func TestGenTaskResumesCutShortCommit(t *testing.T) {
	dir := t.TempDir()
	gen := Gen{Rows: 9001, Format: tera.ASCII, Maps: 3}
	ref := gen
	ref.Output = filepath.Join(dir, "ref")
	var want *jobs.Result
	for i := range 3 {
		out, err := (GenTask{Gen: ref, JobID: "teragen-ref", Index: i, Attempt: "a"}).Run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		want = out.Job
	}

	gen.Output = filepath.Join(dir, "out")
	task := func(i int, attempt string) GenTask {
		return GenTask{Gen: gen, JobID: "teragen-cut", Index: i, Attempt: attempt}
	}
	for i := range 2 {
		if _, err := task(i, "a").Run(context.Background()); err != nil {
			t.Fatalf("map %d: %v", i, err)
		}
	}
	// Map 2 runs and takes the commit turn, then is killed after staging
	// _SUCCESS and moving the first part file.
	last := task(2, "a")
	plan, err := last.plan()
	if err != nil {
		t.Fatal(err)
	}
	staged, m, err := last.runTask(context.Background(), plan)
	if err != nil || m == nil {
		t.Fatalf("map 2: %+v, %v", m, err)
	}
	unlock, err := takeCommitTurn(staged)
	if unlock == nil || err != nil {
		t.Fatalf("map 2 did not get the commit turn: %v", err)
	}
	// While the committer lives, no other task commits.
	if other, err := takeCommitTurn(staged); other != nil || err != nil {
		t.Fatalf("a second task got the commit turn while the first held it (%v)", err)
	}
	mustWrite(t, filepath.Join(staged.StagingDir(), jobs.SuccessFile), "{}\n")
	part := jobs.PartName(jobs.MapTask, 0)
	if err := os.Rename(filepath.Join(staged.TaskDir(jobs.MapTask, 0), part), filepath.Join(gen.Output, part)); err != nil {
		t.Fatal(err)
	}

	out, err := task(0, "late").Run(context.Background())
	if err != nil || out.Job != nil {
		t.Fatalf("late map 0 while the committer lives: %+v, %v; want no commit", out, err)
	}
	unlock() // the committer dies: the kernel drops its lock

	out, err = task(2, "b").Run(context.Background())
	if err != nil || out.Job == nil || out.Job.Checksum != want.Checksum || out.Job.Map.RecordsOut != 9001 {
		t.Fatalf("map 2 again: %+v, %v; want the job committed with checksum %s", out, err, want.Checksum)
	}
	for i := range 3 {
		name := jobs.PartName(jobs.MapTask, i)
		a, errA := os.ReadFile(filepath.Join(gen.Output, name))
		b, errB := os.ReadFile(filepath.Join(ref.Output, name))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs from the reference run (%v, %v)", name, errA, errB)
		}
	}
	if _, err := os.Stat(filepath.Join(gen.Output, jobs.TemporaryDir)); !os.IsNotExist(err) {
		t.Errorf("staging left behind after the resumed commit: %v", err)
	}
}

func mustWrite(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
