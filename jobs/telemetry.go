package jobs

import (
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockmr/dockmr/internal/telemetry"
)

// tracer records a job's span and its phases' spans, the parents of the
// runner's task attempts. With telemetry off it is a no-op.
var tracer = telemetry.Tracer()

// endSpan ends a span, marking it failed with err.
func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
