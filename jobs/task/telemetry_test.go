package task

import (
	"context"
	"io"
	"path/filepath"
	"slices"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/tera"
)

// TestSpansOfATeraSort runs a terasort that spills and merges with a
// recording tracer and checks the tree of its spans: job, phases, task
// attempts, and each attempt's steps under it.
func TestSpansOfATeraSort(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	defer otel.SetTracerProvider(noop.NewTracerProvider())

	in, sum := teraInput(t, tera.Binary, 40000, 20000)
	out := filepath.Join(t.TempDir(), "out")
	if _, _, err := runJob(t, &inProcess{t: t}, teraSortJob(t, in, out, 2, 2, jobs.Settings{SortMB: 1, MergeFactor: 2})); err != nil {
		t.Fatal(err)
	}
	checkTeraSorted(t, out, sum, 40000)

	spans := rec.Ended()
	byID := map[string]sdktrace.ReadOnlySpan{}
	count := map[string]int{}
	for _, s := range spans {
		byID[s.SpanContext().SpanID().String()] = s
		count[s.Name()]++
	}
	parentName := func(s sdktrace.ReadOnlySpan) string {
		if p, ok := byID[s.Parent().SpanID().String()]; ok {
			return p.Name()
		}
		return ""
	}
	want := map[string]int{"job terasort": 1, "job commit": 1, "phase map": 1, "phase reduce": 1,
		"task map": 2, "task reduce": 2, "map": 2, "reduce": 2, "commit": 4, "write": 2}
	for name, n := range want {
		if count[name] != n {
			t.Errorf("%d spans %q, want %d (all: %v)", count[name], name, n, count)
		}
	}
	if count["sort"] < 4 || count["sort"] != count["spill"] {
		t.Errorf("%d sort and %d spill spans; 2 maps of 2 MB with 1 MiB of sort memory spill at least twice each", count["sort"], count["spill"])
	}
	parents := map[string][]string{
		"phase map": {"job terasort"}, "phase reduce": {"job terasort"}, "job commit": {"job terasort"},
		"task map": {"phase map"}, "task reduce": {"phase reduce"},
		"map": {"task map"}, "reduce": {"task reduce"}, "commit": {"task map", "task reduce"},
		"sort": {"map"}, "spill": {"map"}, "merge": {"map", "reduce"}, "read": {"map", "reduce"}, "write": {"reduce"},
	}
	for _, s := range spans {
		allowed, ok := parents[s.Name()]
		if !ok {
			continue
		}
		if p := parentName(s); !slices.Contains(allowed, p) {
			t.Errorf("span %q has parent %q, want one of %q", s.Name(), p, allowed)
		}
		if s.SpanContext().TraceID() != spans[0].SpanContext().TraceID() {
			t.Errorf("span %q is in another trace", s.Name())
		}
	}
}

// BenchmarkTeraSortJobTraced is BenchmarkTeraSortJob with every span
// exported through the console exporter into io.Discard: compared with
// BenchmarkTeraSortJob, it shows what tracing costs when on; off, no
// provider is installed and the spans are no-ops.
func BenchmarkTeraSortJobTraced(b *testing.B) {
	exp, err := stdouttrace.New(stdouttrace.WithWriter(io.Discard))
	if err != nil {
		b.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	otel.SetTracerProvider(tp)
	defer otel.SetTracerProvider(noop.NewTracerProvider())
	defer func() { _ = tp.Shutdown(context.Background()) }() // spans go to a discarding exporter
	benchTeraSortJob(b)
}

// BenchmarkStep is the cost of one step's span, with telemetry off (no
// provider installed: OpenTelemetry's global no-op) and on (batched to
// the console exporter, into io.Discard).
func BenchmarkStep(b *testing.B) {
	a := &attempt{trace: context.Background()}
	b.Run("off", func(b *testing.B) {
		for b.Loop() {
			endStep(a.step("spill"), nil)
		}
	})
	b.Run("console", func(b *testing.B) {
		exp, err := stdouttrace.New(stdouttrace.WithWriter(io.Discard))
		if err != nil {
			b.Fatal(err)
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
		otel.SetTracerProvider(tp)
		defer otel.SetTracerProvider(noop.NewTracerProvider())
		defer func() { _ = tp.Shutdown(context.Background()) }() // spans go to a discarding exporter
		for b.Loop() {
			endStep(a.step("spill"), nil)
		}
	})
}
