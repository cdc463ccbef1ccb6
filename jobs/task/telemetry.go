package task

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockmr/dockmr/internal/telemetry"
	"github.com/dockmr/dockmr/jobs"
)

// tracer records the steps of an attempt: read, map or reduce, sort,
// spill, merge, write and commit, one span per step of work (a spill, a
// merge pass), never per record. With telemetry off it is a no-op.
var tracer = telemetry.Tracer()

// step starts the span of a step of the attempt under the step in
// progress (the attempt's own span at first).
func (a *attempt) step(name string, attrs ...attribute.KeyValue) trace.Span {
	_, span := tracer.Start(a.trace, name, trace.WithAttributes(attrs...))
	return span
}

// within runs fn as a step whose own steps are its children.
func (a *attempt) within(name string, fn func() error) error {
	parent := a.trace
	ctx, span := tracer.Start(parent, name)
	a.trace = ctx
	err := fn()
	a.trace = parent
	endStep(span, err)
	return err
}

// endStep ends a step's span, marking it failed with err.
func endStep(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// startAttemptSpan starts the span of the whole attempt, a child of the
// span in ctx: the attempt's span that the driver names in TRACEPARENT.
func startAttemptSpan(ctx context.Context, opts Options, jobID string) (context.Context, trace.Span) {
	return tracer.Start(ctx, "task "+string(opts.Kind), trace.WithAttributes(
		telemetry.JobID.String(jobID),
		telemetry.Phase.String(string(opts.Kind)),
		telemetry.TaskIndex.Int(opts.Index),
		telemetry.AttemptID.String(opts.Attempt),
	))
}

// endSpan ends the attempt's span with its counters. An attempt that
// found its task committed already has not failed.
func (a *attempt) endSpan(err error) {
	c := a.manifest.Counters
	a.span.SetAttributes(
		attribute.Int64("dockmr.records.in", int64(c.RecordsIn)),
		attribute.Int64("dockmr.records.out", int64(c.RecordsOut)),
		attribute.Int64("dockmr.bytes.out", int64(c.BytesOut)),
		attribute.Int64("dockmr.spills", int64(c.Spills)),
	)
	if errors.Is(err, jobs.ErrAlreadyCommitted) {
		a.span.SetAttributes(attribute.Bool("dockmr.already_committed", true))
		err = nil
	}
	endStep(a.span, err)
}
