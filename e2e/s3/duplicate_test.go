package s3

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/local"
	"github.com/dockmr/dockmr/jobs/terajob"
)

// dupRunner runs every reduce task twice at once, as a duplicated or
// speculative attempt would: both upload their part, one commits.
type dupRunner struct{ a, b *local.Runner }

func (r dupRunner) RunTasks(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind) error {
	if kind != jobs.ReduceTask {
		return r.a.RunTasks(ctx, plan, kind)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, lr := range []*local.Runner{r.a, r.b} {
		wg.Go(func() { errs[i] = lr.RunTasks(ctx, plan, kind) })
	}
	wg.Wait()
	if errs[0] != nil {
		return errs[0]
	}
	return errs[1]
}

// TestDuplicateAttemptsPublishOnePart: two attempts of every reduce, run
// at once, publish one part each, whole, and leave no pending upload.
func TestDuplicateAttemptsPublishOnePart(t *testing.T) {
	_, s := startS3(t)
	set := jobs.Settings{MaxAttempts: 1}
	gen := run(t)(terajob.Gen{Rows: 100_000, Output: "s3://tera/in", Maps: 2, Settings: set}.Plan())
	plan, err := terajob.Sort{Input: []string{"s3://tera/in"}, Output: "s3://tera/out", Maps: 2, Reduces: 3, Settings: set}.Plan()
	if err != nil {
		t.Fatal(err)
	}
	mk := func() *local.Runner { return &local.Runner{Command: []string{taskBin}, Parallel: 3, Log: testLog{t}} }
	res, err := jobs.Run(context.Background(), dupRunner{mk(), mk()}, plan)
	if err != nil {
		t.Fatal(err)
	}
	if res.Checksum != gen.Checksum || res.Reduce.RecordsOut != 100_000 {
		t.Errorf("checksum %s over %d records, want teragen's %s over 100000", res.Checksum, res.Reduce.RecordsOut, gen.Checksum)
	}
	got, names := readObjects(t, s, "out/")
	if strings.Join(names, " ") != "_SUCCESS part-r-00000 part-r-00001 part-r-00002" || len(got) != 100_000*100 {
		t.Errorf("output holds %q, %d bytes; want one whole part per reduce", names, len(got))
	}
	noPending(t, s, "")
}
