package nomad

import (
	"context"
	"testing"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/dockmr/dockmr/internal/telemetry"
)

// Attempt spans carry the span ID derived from the allocation ID, the
// times of its task events, and are recorded once, when the allocation
// has ended.
func TestAttemptSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec), sdktrace.WithIDGenerator(telemetry.IDGenerator()))
	ctx, phase := tp.Tracer("test").Start(context.Background(), "phase map")
	spans := newAttemptSpans(ctx, "map", "dockmr/tera:1")
	spans.tracer = tp.Tracer("test")

	term := ev(api.TaskTerminated, 4)
	term.ExitCode = 3
	failed := allocFixture("0a000000-0000-4000-8000-000000000001", 0, 10, "client-1", "failed",
		ev(api.TaskReceived, 0.5), ev(api.TaskStarted, 1), term)
	running := allocFixture("0b000000-0000-4000-8000-000000000002", 1, 11, "client-2", "running",
		ev(api.TaskReceived, 0.5), ev(api.TaskStarted, 1.5))

	must.True(t, spans.update([]*api.AllocationListStub{failed, running}))
	must.True(t, spans.update([]*api.AllocationListStub{failed, running}))
	must.Len(t, 1, rec.Ended())

	running = allocFixture(running.ID, 1, 11, "client-2", "complete",
		ev(api.TaskReceived, 0.5), ev(api.TaskStarted, 1.5), ev(api.TaskTerminated, 6))
	must.False(t, spans.update([]*api.AllocationListStub{failed, running}))
	phase.End()

	got := rec.Ended()
	must.Len(t, 3, got)
	first, second := got[0], got[1]
	must.Eq(t, "attempt map", first.Name())
	must.Eq(t, "0a00000000004000", first.SpanContext().SpanID().String())
	must.Eq(t, phase.SpanContext().SpanID(), first.Parent().SpanID())
	must.Eq(t, at(0.5), first.StartTime().UTC())
	must.Eq(t, at(4), first.EndTime().UTC())
	must.Eq(t, codes.Error, first.Status().Code)
	attrs := attribute.NewSet(first.Attributes()...)
	for k, want := range map[attribute.Key]attribute.Value{
		telemetry.TaskIndex:   attribute.IntValue(0),
		telemetry.TaskAttempt: attribute.IntValue(1),
		telemetry.ExitCode:    attribute.IntValue(3),
		telemetry.NodeName:    attribute.StringValue("client-1"),
		telemetry.ImageName:   attribute.StringValue("dockmr/tera:1"),
		telemetry.AllocID:     attribute.StringValue(failed.ID),
	} {
		v, ok := attrs.Value(k)
		must.True(t, ok, must.Sprintf("attribute %s missing", k))
		must.Eq(t, want, v, must.Sprintf("attribute %s", k))
	}
	must.Eq(t, "0b00000000004000", second.SpanContext().SpanID().String())
	must.Eq(t, at(6), second.EndTime().UTC())
	must.Eq(t, codes.Unset, second.Status().Code)
}

// With the phase's span not recording (telemetry off) nothing is kept.
func TestAttemptSpansOff(t *testing.T) {
	spans := newAttemptSpans(context.Background(), "map", "img")
	must.Nil(t, spans)
	must.False(t, spans.update(nil))
	spans.finish(nil, "job")
}
