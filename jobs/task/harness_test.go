package task

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/dockmr/dockmr/jobs"
)

// inProcess is a jobs.Runner that runs every task attempt in this process
// with Run, concurrently, and can run each task several times at once to
// play duplicate attempts.
type inProcess struct {
	t          *testing.T
	duplicates int // extra attempts of every task
	// nodes, when set, are the nodes attempts run on, task i on node
	// (i + round) % len(nodes), round counting re-runs.
	nodes []NodeShuffle
	// afterMaps is called once the map phase has committed.
	afterMaps  func(plan *jobs.Plan)
	reruns     atomic.Int64
	committed  atomic.Int64
	duplicated atomic.Int64
}

func (r *inProcess) RunTasks(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind) error {
	err := r.run(ctx, plan, kind, nil, 0)
	if err == nil && kind == jobs.MapTask && r.afterMaps != nil {
		r.afterMaps(plan)
	}
	return err
}

// slowStarting is inProcess as a SlowStarter that says ready at once, so
// that reduces start with the maps and take their output as it commits.
type slowStarting struct{ *inProcess }

func (r slowStarting) RunTasksNotify(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind, _ float64, ready func()) error {
	ready()
	return r.RunTasks(ctx, plan, kind)
}

func (r *inProcess) RerunTasks(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind, indices []int, round int, _ string) error {
	r.reruns.Add(1)
	return r.run(ctx, plan, kind, indices, round)
}

func (r *inProcess) run(ctx context.Context, plan *jobs.Plan, kind jobs.TaskKind, indices []int, round int) error {
	if indices == nil {
		for i := range plan.Tasks(kind) {
			indices = append(indices, i)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, plan.Tasks(kind)*(1+r.duplicates))
	for _, i := range indices {
		for d := range 1 + r.duplicates {
			wg.Go(func() {
				var stderr bytes.Buffer
				var node NodeShuffle
				if len(r.nodes) > 0 {
					node = r.nodes[(i+round)%len(r.nodes)]
				}
				_, err := Run(ctx, Options{
					PlanFile: plan.PlanFile(), Kind: kind, Index: i,
					Attempt: fmt.Sprintf("%s%d-a%d-%d", kind, i, d, round), Stderr: &stderr, Shuffle: node,
				})
				if stderr.Len() > 0 {
					r.t.Logf("%s stderr: %s", jobs.TaskName(kind, i), stderr.String())
				}
				switch {
				case err == nil:
					r.committed.Add(1)
				case errors.Is(err, jobs.ErrAlreadyCommitted) && round > 0:
				case r.duplicates > 0 && errors.Is(err, jobs.ErrAlreadyCommitted):
					r.duplicated.Add(1)
				default:
					errs[i*(1+r.duplicates)+d] = err
				}
			})
		}
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// runJob plans and runs a job in this process.
func runJob(t *testing.T, r *inProcess, job jobs.Job) (*jobs.Result, *jobs.Plan, error) {
	t.Helper()
	plan, err := jobs.NewPlan(job)
	if err != nil {
		return nil, nil, err
	}
	res, err := jobs.Run(context.Background(), r, plan)
	return res, plan, err
}

// writeFile writes a file in dir and returns its path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// readParts returns the concatenated part files of an output directory.
func readParts(t *testing.T, dir string) []byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "part-*"))
	if err != nil {
		t.Fatal(err)
	}
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
