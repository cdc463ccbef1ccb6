package telemetry

import (
	"context"
	"encoding/hex"
	"math/rand/v2"
	"strings"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// AttemptSpanID is the span ID of the task attempt that Nomad allocation
// allocID runs: the first 8 bytes of the allocation's UUID. The driver
// and the CLI both derive it, so the driver's spans and the container's
// find their parent without any message between the two. It reports false
// for an ID that is not a UUID.
func AttemptSpanID(allocID string) (trace.SpanID, bool) {
	var id trace.SpanID
	h := strings.ReplaceAll(allocID, "-", "")
	if len(h) < 2*len(id) {
		return id, false
	}
	if _, err := hex.Decode(id[:], []byte(h[:2*len(id)])); err != nil {
		return trace.SpanID{}, false
	}
	return id, id.IsValid()
}

type spanIDKey struct{}

// chosenID is a span ID chosen for the span started under parent.
type chosenID struct {
	parent, id trace.SpanID
}

// WithSpanID returns a context in which a span started gets id instead of
// a random ID, to record a span whose ID others already use (an attempt's
// span, after the attempt). Its children, started from the context that
// Start returns, get random IDs. It takes effect only with the tracer
// provider that Setup installs.
func WithSpanID(ctx context.Context, id trace.SpanID) context.Context {
	parent := trace.SpanContextFromContext(ctx).SpanID()
	return context.WithValue(ctx, spanIDKey{}, chosenID{parent: parent, id: id})
}

// IDGenerator returns the ID generator of the tracer provider that Setup
// installs, which honours WithSpanID, for tests that make their own.
func IDGenerator() sdktrace.IDGenerator { return idGenerator{} }

// idGenerator makes random IDs, except for a span ID that the context
// chooses (WithSpanID).
type idGenerator struct{}

// NewIDs returns the IDs of a root span.
func (g idGenerator) NewIDs(ctx context.Context) (trace.TraceID, trace.SpanID) {
	var tid trace.TraceID
	for !tid.IsValid() {
		putUint64(tid[:8], rand.Uint64())
		putUint64(tid[8:], rand.Uint64())
	}
	return tid, g.NewSpanID(ctx, tid)
}

// NewSpanID returns the ID of a span in trace traceID.
func (idGenerator) NewSpanID(ctx context.Context, _ trace.TraceID) trace.SpanID {
	if c, ok := ctx.Value(spanIDKey{}).(chosenID); ok && c.id.IsValid() &&
		trace.SpanContextFromContext(ctx).SpanID() == c.parent {
		return c.id
	}
	var sid trace.SpanID
	for !sid.IsValid() {
		putUint64(sid[:], rand.Uint64())
	}
	return sid
}

func putUint64(b []byte, v uint64) {
	for i := range 8 {
		b[i] = byte(v >> (56 - 8*i))
	}
}
