package driver

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/shoenig/test/must"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/dockmr/dockmr/internal/telemetry"
)

const phaseParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// A task's container gets TRACEPARENT naming its attempt's span: the
// phase's trace and the span ID derived from the allocation ID.
func TestContainerEnvNamesTheAttemptSpan(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
	t.Setenv("OTEL_SERVICE_NAME", "agent")
	cfg := &drivers.TaskConfig{
		AllocID: "5d7f4a2e-1b3c-4d5e-8f90-123456789abc",
		Env: map[string]string{telemetry.TraceParentEnv: phaseParent, "A": "1",
			"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"},
	}
	env := containerEnv(cfg, []string{"A=1", telemetry.TraceParentEnv + "=" + phaseParent,
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318"})
	slices.Sort(env)
	want := []string{
		"A=1",
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://collector:4318", // the task's own setting wins
		"OTEL_TRACES_EXPORTER=otlp",                         // the agent's fills in
		"TRACEPARENT=00-4bf92f3577b34da6a3ce929d0e0e4736-5d7f4a2e1b3c4d5e-01",
	}
	if !slices.Equal(env, want) {
		t.Errorf("container env\n%s\nwant\n%s", strings.Join(env, "\n"), strings.Join(want, "\n"))
	}
}

// Without a TRACEPARENT the environment is the task's, untouched.
func TestContainerEnvWithoutTrace(t *testing.T) {
	t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
	cfg := &drivers.TaskConfig{AllocID: "5d7f4a2e-1b3c-4d5e-8f90-123456789abc", Env: map[string]string{"A": "1"}}
	if env := containerEnv(cfg, []string{"A=1"}); !slices.Equal(env, []string{"A=1"}) {
		t.Errorf("container env %q, want the task's", env)
	}
	if sc := attemptSpan(cfg); sc.IsValid() {
		t.Errorf("attempt span %v without a TRACEPARENT", sc)
	}
}

// The driver's spans of a traced task are children of its attempt's span
// and carry the task's attributes; an untraced task gets none.
func TestDriverSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	defer otel.SetTracerProvider(noop.NewTracerProvider())

	untraced := &drivers.TaskConfig{AllocID: "5d7f4a2e-1b3c-4d5e-8f90-123456789abc", Name: "map"}
	_, span := startSpan(attemptContext(context.Background(), untraced), "container create")
	endSpan(span, nil)
	must.Len(t, 0, rec.Ended())

	traced := &drivers.TaskConfig{AllocID: untraced.AllocID, Name: "map", NodeName: "client-1",
		Env: map[string]string{telemetry.TraceParentEnv: phaseParent}}
	_, span = startSpan(attemptContext(context.Background(), traced), "container create")
	endSpan(span, errors.New("no space left"))
	got := rec.Ended()
	must.Len(t, 1, got)
	must.Eq(t, "5d7f4a2e1b3c4d5e", got[0].Parent().SpanID().String())
	must.Eq(t, "4bf92f3577b34da6a3ce929d0e0e4736", got[0].SpanContext().TraceID().String())
	must.Eq(t, codes.Error, got[0].Status().Code)
	attrs := attribute.NewSet(got[0].Attributes()...)
	for k, want := range map[attribute.Key]string{telemetry.NodeName: "client-1", telemetry.AllocID: untraced.AllocID} {
		v, _ := attrs.Value(k)
		must.Eq(t, want, v.AsString(), must.Sprintf("attribute %s", k))
	}
}
