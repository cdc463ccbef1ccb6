package main

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/history"
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
}

// The summary's phases are the history record's, counted from its
// attempts, whichever runner ran them.
func TestSummarizeFromHistory(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	attempts := []history.Attempt{
		{Phase: jobs.MapTask, Task: 0, Number: 1, State: history.AttemptFailed},
		{Phase: jobs.MapTask, Task: 0, Number: 2, State: history.AttemptFailed},
		{Phase: jobs.MapTask, Task: 0, Number: 3, State: history.AttemptCommitted, Counters: &jobs.Counters{RecordsOut: 7}},
		{Phase: jobs.MapTask, Task: 1, Number: 1, State: history.AttemptCommitted, Counters: &jobs.Counters{}},
		{Phase: jobs.ReduceTask, Task: 0, Number: 1, State: history.AttemptCommitted, Counters: &jobs.Counters{}},
	}
	maps := history.Phase{Kind: jobs.MapTask, Tasks: 2, Started: t0, Finished: t0.Add(1500 * time.Millisecond)}
	maps.Count(attempts[:4])
	reduces := history.Phase{Kind: jobs.ReduceTask, Tasks: 1, Started: t0.Add(2 * time.Second), Finished: t0.Add(3 * time.Second)}
	reduces.Count(attempts[4:])
	rec := &history.Record{Phases: []history.Phase{maps, reduces}, Attempts: attempts}
	s := summarize(&jobs.Result{ID: "job_1", Map: jobs.Counters{RecordsOut: 7}, Reduce: jobs.Counters{RecordsOut: 5}}, rec)
	want := []phaseSummary{
		{Phase: "map", Tasks: 2, Attempts: 4, Failed: 2, Counters: jobs.Counters{RecordsOut: 7}, Wall: 1500 * time.Millisecond},
		{Phase: "reduce", Tasks: 1, Attempts: 1, Failed: 0, Counters: jobs.Counters{RecordsOut: 5}, Wall: time.Second},
	}
	if !reflect.DeepEqual(s.Phases, want) {
		t.Errorf("summary phases\n%+v\nwant\n%+v", s.Phases, want)
	}
	var out bytes.Buffer
	printSummary(&out, s)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[3], "job job_1: checksum ") ||
		!slices.Equal(strings.Fields(lines[1])[:4], []string{"map", "2", "4", "2"}) {
		t.Errorf("summary:\n%s", out.String())
	}
	if s := summarize(&jobs.Result{ID: "job_2"}, nil); len(s.Phases) != 0 {
		t.Errorf("summary without a record has phases %+v", s.Phases)
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
