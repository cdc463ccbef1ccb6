package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/nomad"
)

func TestBar(t *testing.T) {
	for _, tc := range []struct {
		p    nomad.Progress
		want string
	}{
		{nomad.Progress{Phase: "map", Tasks: 4, Done: 1, Running: 2, FailedAttempts: 1},
			"map    [=>>>  ] 1/4 done, 2 running, 1 failed attempts"},
		{nomad.Progress{Phase: "reduce", Tasks: 3, Done: 3},
			"reduce [======] 3/3 done, 0 running, 0 failed attempts"},
		{nomad.Progress{Phase: "map", Tasks: 0}, "map    [      ] 0/0 done, 0 running, 0 failed attempts"},
	} {
		if got := bar(tc.p, 6); got != tc.want {
			t.Errorf("bar(%+v) = %q, want %q", tc.p, got, tc.want)
		}
	}
}

// phases is a runner that reports progress the way the Nomad runner does.
type phases struct {
	progress func(nomad.Progress)
	fail     error
}

func (p *phases) RunTasks(_ context.Context, plan *jobs.Plan, kind jobs.TaskKind) error {
	n := plan.Tasks(kind)
	p.progress(nomad.Progress{Phase: string(kind), Tasks: n, Pending: n})
	p.progress(nomad.Progress{Phase: string(kind), Tasks: n, Done: n, Attempts: n + 1, FailedAttempts: 1})
	return p.fail
}

func TestFollowerPlainLinesAndSummary(t *testing.T) {
	var out bytes.Buffer
	r := &phases{}
	f := newFollower(r, &out)
	r.progress = f.update
	plan := &jobs.Plan{Job: jobs.Job{Map: jobs.Phase{Tasks: 2}, Reduce: &jobs.Phase{Tasks: 1}}}
	for _, k := range []jobs.TaskKind{jobs.MapTask, jobs.ReduceTask} {
		if err := f.RunTasks(context.Background(), plan, k); err != nil {
			t.Fatal(err)
		}
	}
	want := "map: 0/2 done, 0 running, 2 pending, 0 failed attempts\nmap: 2/2 done, 0 running, 0 pending, 1 failed attempts\n" +
		"reduce: 0/1 done, 0 running, 1 pending, 0 failed attempts\nreduce: 1/1 done, 0 running, 0 pending, 1 failed attempts\n"
	if out.String() != want {
		t.Errorf("progress on a pipe:\n%s\nwant:\n%s", out.String(), want)
	}
	res := f.result(&jobs.Result{ID: "job_1", Map: jobs.Counters{RecordsOut: 7}})
	if len(res.Phases) != 2 || res.Phases[0].Attempts != 3 || res.Phases[0].Failed != 1 ||
		res.Phases[0].Counters.RecordsOut != 7 || res.Phases[1].Attempts != 2 {
		t.Errorf("summary phases %+v", res.Phases)
	}
	out.Reset()
	f.summary(&out, &jobs.Result{ID: "job_1"})
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[3], "job job_1: checksum ") {
		t.Errorf("summary:\n%s", out.String())
	}
}

func TestFollowerPassesErrorsOn(t *testing.T) {
	boom := errors.New("boom")
	r := &phases{fail: boom}
	f := newFollower(r, &bytes.Buffer{})
	r.progress = f.update
	plan := &jobs.Plan{Job: jobs.Job{Map: jobs.Phase{Tasks: 1}}}
	if err := f.RunTasks(context.Background(), plan, jobs.MapTask); !errors.Is(err, boom) {
		t.Errorf("RunTasks = %v, want the runner's error", err)
	}
}
