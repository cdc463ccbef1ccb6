package nomad

import (
	"context"
	"time"

	"github.com/hashicorp/nomad/api"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockmr/dockmr/internal/telemetry"
)

// recordAMAttempt records the span of the application master's own
// attempt, which no CLI is left to record: a child of the submit span
// (the TRACEPARENT that the submitter put in the job; the driver gave
// the container the attempt's instead), with the span ID derived from the
// allocation ID, from the allocation's receipt on its node to now.
func recordAMAttempt(client *api.Client, allocID string, err error) {
	if !telemetry.Tracing() || allocID == "" {
		return
	}
	alloc, _, qerr := client.Allocations().Info(allocID, nil)
	if qerr != nil || alloc.Job == nil || len(alloc.Job.TaskGroups) == 0 || len(alloc.Job.TaskGroups[0].Tasks) == 0 {
		return
	}
	submit := telemetry.ParentOf(alloc.Job.TaskGroups[0].Tasks[0].Env)
	id, ok := telemetry.AttemptSpanID(allocID)
	if !submit.IsValid() || !ok {
		return
	}
	stub := alloc.Stub()
	at := attemptOf(AMPhase, alloc.Job.Meta[MetaImage], 0, 1, stub)
	ctx := telemetry.WithSpanID(trace.ContextWithRemoteSpanContext(context.Background(), submit), id)
	start := at.Received
	if start.IsZero() {
		start = time.Now()
	}
	_, span := tracer.Start(ctx, "attempt "+AMPhase, trace.WithTimestamp(start), trace.WithAttributes(attemptAttributes(at)...))
	if !at.Started.IsZero() {
		span.AddEvent("started", trace.WithTimestamp(at.Started))
	}
	endSpan(span, err)
}
