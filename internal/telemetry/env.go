package telemetry

import (
	"context"
	"strings"

	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// The environment variables that carry a trace context into a process,
// as OpenTelemetry's environment carrier names them.
const (
	TraceParentEnv = "TRACEPARENT"
	TraceStateEnv  = "TRACESTATE"
)

// Propagator is the W3C trace-context propagator, which dockmr uses
// wherever a trace crosses a process.
var Propagator = propagation.TraceContext{}

// Env returns the TRACEPARENT (and TRACESTATE, if any) of the span in
// ctx, or nothing when ctx has no valid span context.
func Env(ctx context.Context) map[string]string {
	carrier := propagation.MapCarrier{}
	Propagator.Inject(ctx, carrier)
	env := map[string]string{}
	if v := carrier.Get("traceparent"); v != "" {
		env[TraceParentEnv] = v
	}
	if v := carrier.Get("tracestate"); v != "" {
		env[TraceStateEnv] = v
	}
	return env
}

// EnvOf returns the variables that make sc a process's parent span.
func EnvOf(sc trace.SpanContext) map[string]string {
	return Env(trace.ContextWithRemoteSpanContext(context.Background(), sc))
}

// EnvList returns Env as NAME=VALUE strings, for exec.Cmd.Env.
func EnvList(ctx context.Context) []string {
	var list []string
	for k, v := range Env(ctx) {
		list = append(list, k+"="+v)
	}
	return list
}

// FromEnv returns ctx with the remote span context that TRACEPARENT and
// TRACESTATE (read with getenv) carry, or ctx itself when they carry none
// or a malformed one.
func FromEnv(ctx context.Context, getenv func(string) string) context.Context {
	carrier := propagation.MapCarrier{}
	if v := getenv(TraceParentEnv); v != "" {
		carrier.Set("traceparent", v)
	}
	if v := getenv(TraceStateEnv); v != "" {
		carrier.Set("tracestate", v)
	}
	return Propagator.Extract(ctx, carrier)
}

// ParentOf returns the span context that an environment's TRACEPARENT
// names; it is not valid when there is none.
func ParentOf(env map[string]string) trace.SpanContext {
	ctx := FromEnv(context.Background(), func(k string) string { return env[k] })
	return trace.SpanContextFromContext(ctx)
}

// ExporterEnv returns the OTEL_* variables of environ (os.Environ's form)
// that a child process needs to export as this one does. OTEL_SERVICE_NAME
// is left out: every dockmr program names itself.
func ExporterEnv(environ []string) map[string]string {
	env := map[string]string{}
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "OTEL_") || k == "OTEL_SERVICE_NAME" {
			continue
		}
		env[k] = v
	}
	return env
}
