package nomad

import (
	"context"
	"time"

	"github.com/hashicorp/nomad/api"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockmr/dockmr/internal/telemetry"
)

var tracer = telemetry.Tracer()

// finishWait bounds how long a phase that has ended waits for its last
// allocations to report their end, so that their spans carry real times.
const finishWait = 30 * time.Second

// attemptSpans records the span of each task attempt of a phase once its
// allocation has ended: a child of the phase's span, with the span ID the
// driver derived from the allocation ID (telemetry.AttemptSpanID) and the
// times of the allocation's task events. Nothing is done when the phase's
// span is not recorded.
type attemptSpans struct {
	tracer   trace.Tracer
	phase    context.Context // holds the phase's span
	name     string
	image    string
	recorded map[string]bool // allocation IDs
}

func newAttemptSpans(ctx context.Context, phase, image string) *attemptSpans {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return nil
	}
	return &attemptSpans{tracer: tracer, phase: ctx, name: phase, image: image, recorded: map[string]bool{}}
}

// update records the attempts among allocs that have ended and reports
// whether some attempt is still going.
func (s *attemptSpans) update(allocs []*api.AllocationListStub) (pending bool) {
	if s == nil {
		return false
	}
	for _, at := range attemptsOf(s.name, s.image, allocs) {
		switch {
		case s.recorded[at.AllocID]:
		case ended(at):
			s.record(at, at.Finished)
		default:
			pending = true
		}
	}
	return pending
}

// finish waits a while for the phase's last attempts to end, then records
// every attempt not recorded yet, ending those still going now.
func (s *attemptSpans) finish(napi phaseAPI, jobID string) {
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), finishWait)
	defer cancel()
	var index uint64
	var allocs []*api.AllocationListStub
	for ctx.Err() == nil {
		got, next, err := napi.Allocations(ctx, jobID, index, 5*time.Second)
		if err != nil {
			break
		}
		allocs, index = got, next
		if !s.update(allocs) {
			return
		}
	}
	now := time.Now()
	for _, at := range attemptsOf(s.name, s.image, allocs) {
		if !s.recorded[at.AllocID] {
			s.record(at, now)
		}
	}
}

// ended reports whether an attempt's allocation has ended for good.
func ended(at Attempt) bool {
	switch at.ClientStatus {
	case api.AllocClientStatusComplete, api.AllocClientStatusFailed, api.AllocClientStatusLost:
		return !at.Finished.IsZero()
	}
	return false
}

// record emits the span of one attempt, from the allocation's receipt on
// its node to its end.
func (s *attemptSpans) record(at Attempt, end time.Time) {
	s.recorded[at.AllocID] = true
	ctx := s.phase
	if id, ok := telemetry.AttemptSpanID(at.AllocID); ok {
		ctx = telemetry.WithSpanID(ctx, id)
	}
	start := at.Received
	if start.IsZero() || start.After(end) {
		start = end
	}
	_, span := s.tracer.Start(ctx, "attempt "+at.Phase, trace.WithTimestamp(start), trace.WithAttributes(attemptAttributes(at)...))
	if !at.Started.IsZero() {
		span.AddEvent("started", trace.WithTimestamp(at.Started))
	}
	if at.Failed {
		span.SetStatus(codes.Error, at.Failure)
	}
	span.End(trace.WithTimestamp(end))
}

// endSpan ends a span, marking it failed with err.
func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

func attemptAttributes(at Attempt) []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		telemetry.Phase.String(at.Phase),
		telemetry.TaskIndex.Int(at.Task),
		telemetry.TaskAttempt.Int(at.Number),
		telemetry.AllocID.String(at.AllocID),
		telemetry.AllocStatus.String(at.ClientStatus),
		telemetry.NodeID.String(at.NodeID),
		telemetry.NodeName.String(at.NodeName),
		telemetry.ImageName.String(at.Image),
	}
	if !at.Finished.IsZero() && at.ClientStatus != api.AllocClientStatusLost {
		attrs = append(attrs, telemetry.ExitCode.Int(at.ExitCode))
	}
	if at.Failure != "" {
		attrs = append(attrs, telemetry.FailureCause.String(at.Failure))
	}
	return attrs
}
