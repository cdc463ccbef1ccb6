package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/e2e/otlptest"
)

// TestTracing runs jobs through the dockmr command on a cluster whose
// agents, like the command, export OpenTelemetry to a real OTLP/HTTP
// receiver, and checks that each job is one trace, linked from the CLI's
// job, phase and attempt spans through the driver's spans into the task
// runtime's spans inside the containers.
func TestTracing(t *testing.T) {
	recv, err := otlptest.Start()
	must.NoError(t, err)
	t.Cleanup(func() { recv.Close() })
	// The agents inherit the test's environment, hence their plugins, and
	// the driver hands its OTEL_* settings to the containers.
	for k, v := range map[string]string{
		"OTEL_TRACES_EXPORTER":        "otlp",
		"OTEL_METRICS_EXPORTER":       "otlp",
		"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
		"OTEL_EXPORTER_OTLP_ENDPOINT": recv.Endpoint(),
		"OTEL_BSP_SCHEDULE_DELAY":     "200",
		"OTEL_METRIC_EXPORT_INTERVAL": "500",
	} {
		t.Setenv(k, v)
	}
	env := startMR(t)
	t.Run("TeraSort", func(t *testing.T) { env.testTraceTeraSort(t, recv) })
	t.Run("Retry", func(t *testing.T) { env.testTraceRetry(t, recv) })
	t.Run("Detached", func(t *testing.T) { env.testTraceDetached(t, recv) })
	must.NoError(t, recv.Err())
	// Every task came with a trace: the driver started none of its own,
	// not even for its background Docker calls.
	for _, s := range recv.Spans() {
		if s.Service == "dockmr-driver" {
			must.NotEq(t, "", s.ParentID, must.Sprintf("driver span %q is a root", s.Name))
		}
	}
}

func (e *mrEnv) testTraceTeraSort(t *testing.T, recv *otlptest.Receiver) {
	e.cluster.Watch(t)
	in, out := e.path(t, "in"), e.path(t, "out")
	e.ok(t, "teragen", "--local", "--maps", "2", "20k", in)
	sum := decodeRun[mrSummary](t, e.ok(t, "terasort", "--json", "--maps", "2", "--reduces", "2", in, out))
	attempts := map[string]int{}
	for _, ph := range sum.Phases {
		attempts[ph.Phase] = ph.Attempts
	}
	tr := e.waitTrace(t, recv, "job terasort", sum.ID, attempts["map"]+attempts["reduce"])

	job := tr.one(t, "job terasort")
	must.Eq(t, "", job.ParentID, must.Sprint("the job span is the trace's root"))
	must.Eq(t, "dockmr", job.Service)
	for _, phase := range []string{"map", "reduce"} {
		ph := tr.one(t, "phase "+phase)
		must.Eq(t, job.SpanID, ph.ParentID)
		at := tr.children(ph, "attempt "+phase)
		must.Len(t, attempts[phase], at, must.Sprintf("%s attempt spans", phase))
		for _, a := range at {
			e.checkAttempt(t, tr, a, phase)
			must.Eq(t, "0", a.Attrs["process.exit.code"])
			must.False(t, a.Error)
			task := tr.children(a, "task "+phase)
			must.Len(t, 1, task, must.Sprint("one task runtime span under the attempt"))
			steps := []string{"read", "sort", "spill", "merge"}
			if phase == "reduce" {
				steps = []string{"read", "merge", "write"}
			}
			work := tr.children(task[0], phase)
			must.Len(t, 1, work)
			for _, step := range steps {
				must.SliceNotEmpty(t, tr.children(work[0], step), must.Sprintf("%s step of %s", step, task[0].Attrs["dockmr.task.index"]))
			}
			must.Len(t, 1, tr.children(task[0], "commit"))
		}
	}
	// Every span of the job is in its trace: the job's ID names no span
	// of another trace.
	for _, s := range recv.Spans() {
		if s.Attrs["dockmr.job.id"] == sum.ID {
			must.Eq(t, job.TraceID, s.TraceID, must.Sprintf("span %q", s.Name))
		}
	}
	e.waitFor(t, func() bool {
		seen := map[string]bool{}
		for _, m := range recv.Metrics() {
			if m.Service == "dockmr-driver" && m.Points > 0 {
				seen[m.Name] = true
			}
		}
		return seen["dockmr.driver.task.start.duration"] && seen["dockmr.driver.containers.running"]
	})
}

// testTraceRetry runs a job whose only task fails once: its trace has
// both attempts, the failed one with its exit code.
func (e *mrEnv) testTraceRetry(t *testing.T, recv *otlptest.Receiver) {
	e.cluster.Watch(t)
	spec := e.writeRetryJob(t, "b\na\n")
	sum := decodeRun[mrSummary](t, e.ok(t, "run", "--json", spec))
	must.Eq(t, 2, sum.Phases[0].Attempts)
	tr := e.waitTrace(t, recv, "job retry", sum.ID, 2)

	at := tr.children(tr.one(t, "phase map"), "attempt map")
	must.Len(t, 2, at)
	byNumber := map[string]otlptest.Span{}
	for _, a := range at {
		e.checkAttempt(t, tr, a, "map")
		byNumber[a.Attrs["dockmr.task.attempt"]] = a
	}
	failed, passed := byNumber["1"], byNumber["2"]
	must.True(t, failed.Error, must.Sprint("the failed attempt's span is an error"))
	// The mapper exits 3, the task runtime then 1: a failed attempt.
	must.Eq(t, "1", failed.Attrs["process.exit.code"])
	must.Eq(t, "1", tr.children(failed, "container wait")[0].Attrs["process.exit.code"])
	must.True(t, tr.children(failed, "task map")[0].Error)
	must.False(t, passed.Error)
	must.Eq(t, "0", passed.Attrs["process.exit.code"])
	must.True(t, failed.End.Before(passed.Start) || failed.End.Equal(passed.Start), must.Sprint("the retry starts after the failure"))
}

// testTraceDetached runs a job detached: the submit span of the CLI is
// the root, the application master records its own attempt under it, and
// the job it runs continues the trace.
func (e *mrEnv) testTraceDetached(t *testing.T, recv *otlptest.Receiver) {
	e.cluster.Watch(t)
	in, out := e.path(t, "in"), e.path(t, "out")
	e.ok(t, "teragen", "--local", "--maps", "1", "5k", in)
	id := strings.TrimSpace(e.ok(t, "terasort", "--detach", "--maps", "1", "--reduces", "1", in, out).stdout)
	st := e.waitStatus(t, id, func(s mrStatus) bool { return s.State != "running" })
	must.Eq(t, "complete", st.State, must.Sprint(st.Error))
	attempts := 1 // the application master's
	for _, ph := range st.Phases {
		if ph.Phase == "map" || ph.Phase == "reduce" {
			attempts += ph.Attempts
		}
	}
	tr := e.waitTrace(t, recv, "submit terasort", id, attempts)

	submit := tr.one(t, "submit terasort")
	must.Eq(t, "", submit.ParentID)
	am := tr.one(t, "attempt am")
	must.Eq(t, submit.SpanID, am.ParentID)
	must.Eq(t, strings.ReplaceAll(am.Attrs["nomad.alloc.id"], "-", "")[:16], am.SpanID)
	for _, name := range []string{"image pull", "container create", "container start", "container wait"} {
		must.Len(t, 1, tr.children(am, name), must.Sprintf("%q spans under the application master's attempt", name))
	}
	job := tr.children(am, "job terasort")
	must.Len(t, 1, job)
	for _, phase := range []string{"map", "reduce"} {
		ph := tr.one(t, "phase "+phase)
		must.Eq(t, job[0].SpanID, ph.ParentID)
		for _, a := range tr.children(ph, "attempt "+phase) {
			e.checkAttempt(t, tr, a, phase)
		}
	}
}

// checkAttempt checks an attempt span recorded by the CLI and the
// driver's spans under it.
func (e *mrEnv) checkAttempt(t *testing.T, tr trace, a otlptest.Span, phase string) {
	t.Helper()
	must.Eq(t, "dockmr", a.Service)
	for _, k := range []string{"dockmr.task.index", "dockmr.task.attempt", "nomad.alloc.id", "nomad.node.id", "nomad.node.name", "container.image.name", "process.exit.code"} {
		must.MapContainsKey(t, a.Attrs, k, must.Sprintf("attempt span attributes %v", a.Attrs))
	}
	must.Eq(t, phase, a.Attrs["dockmr.phase"])
	must.Eq(t, exampleImage, a.Attrs["container.image.name"])
	// The span ID is the first 8 bytes of the allocation ID, which is how
	// the driver found its parent.
	must.Eq(t, strings.ReplaceAll(a.Attrs["nomad.alloc.id"], "-", "")[:16], a.SpanID)
	for _, name := range []string{"image pull", "container create", "container start", "container wait"} {
		d := tr.children(a, name)
		must.Len(t, 1, d, must.Sprintf("%q spans under attempt %s", name, a.Attrs["nomad.alloc.id"]))
		must.Eq(t, "dockmr-driver", d[0].Service)
		must.Eq(t, a.Attrs["nomad.alloc.id"], d[0].Attrs["nomad.alloc.id"])
		// The attempt's times are Nomad's task events; the driver's
		// work happens within them (one clock, a second of slack for
		// Nomad's event bookkeeping).
		must.True(t, !d[0].Start.Before(a.Start.Add(-time.Second)) && !d[0].End.After(a.End.Add(time.Second)),
			must.Sprintf("%s %s–%s outside attempt %s–%s", name, d[0].Start, d[0].End, a.Start, a.End))
	}
	task := tr.children(a, "task "+phase)
	must.Len(t, 1, task)
	must.Eq(t, "dockmr-task", task[0].Service)
}

// trace is the spans of one trace.
type trace []otlptest.Span

// waitTrace waits until the trace of the job whose root span is named
// root has every span of its attempts: the CLI's attempt spans, and under
// each the driver's wait span and the task runtime's commit, the last
// spans each program exports.
func (e *mrEnv) waitTrace(t *testing.T, recv *otlptest.Receiver, root, jobID string, attempts int) trace {
	t.Helper()
	var tr trace
	defer func() {
		if t.Failed() {
			for _, s := range tr {
				t.Logf("span %s %s parent %s %q %v", s.Service, s.SpanID, s.ParentID, s.Name, s.Attrs)
			}
		}
	}()
	e.waitFor(t, func() bool {
		tr = nil
		spans := recv.Spans()
		var traceID string
		for _, s := range spans {
			if s.Name == root && s.Attrs["dockmr.job.id"] == jobID {
				traceID = s.TraceID
			}
		}
		for _, s := range spans {
			if traceID != "" && s.TraceID == traceID {
				tr = append(tr, s)
			}
		}
		n := 0
		for _, s := range tr {
			if !strings.HasPrefix(s.Name, "attempt ") {
				continue
			}
			n++
			if s.Attrs["dockmr.phase"] == "am" {
				if len(tr.children(s, "container wait")) == 0 {
					return false
				}
				continue
			}
			task := tr.children(s, "task "+s.Attrs["dockmr.phase"])
			if len(tr.children(s, "container wait")) == 0 || len(task) == 0 || len(tr.children(task[0], "commit")) == 0 && !task[0].Error {
				return false
			}
		}
		return n == attempts
	})
	return tr
}

// one returns the only span named name.
func (tr trace) one(t *testing.T, name string) otlptest.Span {
	t.Helper()
	var found []otlptest.Span
	for _, s := range tr {
		if s.Name == name {
			found = append(found, s)
		}
	}
	must.Len(t, 1, found, must.Sprintf("spans named %q", name))
	return found[0]
}

// children returns the spans named name whose parent is p.
func (tr trace) children(p otlptest.Span, name string) []otlptest.Span {
	var out []otlptest.Span
	for _, s := range tr {
		if s.ParentID == p.SpanID && s.Name == name {
			out = append(out, s)
		}
	}
	return out
}
