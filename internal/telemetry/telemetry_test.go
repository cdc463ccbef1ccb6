package telemetry

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestChooseExporter(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		key  string
		want string
	}{
		{nil, TracesExporterEnv, "none"}, // unset is none, unlike OpenTelemetry's otlp
		{map[string]string{TracesExporterEnv: ""}, TracesExporterEnv, "none"},
		{map[string]string{TracesExporterEnv: "none"}, TracesExporterEnv, "none"},
		{map[string]string{TracesExporterEnv: "otlp"}, TracesExporterEnv, "otlp"},
		{map[string]string{TracesExporterEnv: " Console "}, TracesExporterEnv, "console"},
		{map[string]string{MetricsExporterEnv: "prometheus"}, MetricsExporterEnv, "prometheus"},
		{map[string]string{TracesExporterEnv: "otlp", SDKDisabledEnv: "true"}, TracesExporterEnv, "none"},
		{map[string]string{TracesExporterEnv: "otlp", SDKDisabledEnv: "false"}, TracesExporterEnv, "otlp"},
	} {
		got, err := chooseExporter(envOf(tc.env), tc.key)
		if err != nil || got != tc.want {
			t.Errorf("chooseExporter(%v, %s) = %q, %v; want %q", tc.env, tc.key, got, err, tc.want)
		}
	}
}

func TestChooseExporterRejectsUnknown(t *testing.T) {
	for _, tc := range []struct{ key, value, accepted string }{
		{TracesExporterEnv, "jaeger", "otlp, console or none"},
		{TracesExporterEnv, "prometheus", "otlp, console or none"},
		{TracesExporterEnv, "otlp,console", "otlp, console or none"},
		{MetricsExporterEnv, "zipkin", "prometheus"},
	} {
		_, err := chooseExporter(envOf(map[string]string{tc.key: tc.value}), tc.key)
		if err == nil {
			t.Errorf("%s=%s accepted", tc.key, tc.value)
			continue
		}
		for _, want := range []string{tc.key, `"` + tc.value + `"`, tc.accepted} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s=%s: error %q does not mention %q", tc.key, tc.value, err, want)
			}
		}
	}
}

// TestSetupOffInstallsNothing checks that with no OTEL_* variables the
// global providers stay the no-op ones, so instrumented code costs nothing.
func TestSetupOffInstallsNothing(t *testing.T) {
	otel.SetTracerProvider(noop.NewTracerProvider())
	shutdown, err := setup(context.Background(), ServiceTask, envOf(nil), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := shutdown(context.Background()); err != nil {
			t.Error(err)
		}
	}()
	if _, ok := otel.GetTracerProvider().(noop.TracerProvider); !ok {
		t.Fatalf("tracer provider is %T, want the no-op one", otel.GetTracerProvider())
	}
	_, span := Tracer().Start(context.Background(), "x")
	if span.IsRecording() {
		t.Error("span records with telemetry off")
	}
}

// TestSetupConsole exports a span with a chosen ID and a child through the
// console exporter and finds both in its output, with the service name.
func TestSetupConsole(t *testing.T) {
	defer otel.SetTracerProvider(noop.NewTracerProvider())
	var out bytes.Buffer
	shutdown, err := setup(context.Background(), ServiceDriver, envOf(map[string]string{TracesExporterEnv: "console"}), &out)
	if err != nil {
		t.Fatal(err)
	}
	id, _ := AttemptSpanID("0123abcd-ef01-2345-6789-abcdefabcdef")
	ctx, parent := Tracer().Start(WithSpanID(context.Background(), id), "attempt")
	_, child := Tracer().Start(ctx, "pull")
	child.End()
	parent.End()
	if got := parent.SpanContext().SpanID(); got != id {
		t.Errorf("span ID %s, want the chosen %s", got, id)
	}
	if got := child.SpanContext().SpanID(); got == id {
		t.Error("the child got the chosen span ID too")
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"Name":"attempt"`, `"Name":"pull"`, `"SpanID":"` + id.String() + `"`, `"Value":"dockmr-driver"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("console output lacks %s:\n%s", want, out.String())
		}
	}
}

func TestSetupRejectsBadExporter(t *testing.T) {
	_, err := setup(context.Background(), ServiceCLI, envOf(map[string]string{MetricsExporterEnv: "statsd"}), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), `OTEL_METRICS_EXPORTER="statsd"`) {
		t.Fatalf("error %v, want one naming OTEL_METRICS_EXPORTER=\"statsd\"", err)
	}
}

func TestAttemptSpanID(t *testing.T) {
	id, ok := AttemptSpanID("5d7f4a2e-1b3c-4d5e-8f90-123456789abc")
	if !ok || id.String() != "5d7f4a2e1b3c4d5e" {
		t.Errorf("got %s, %v; want 5d7f4a2e1b3c4d5e", id, ok)
	}
	for _, bad := range []string{"", "5d7f4a2e", "not-a-uuid-at-all-really", "00000000-0000-0000-0000-000000000000"} {
		if id, ok := AttemptSpanID(bad); ok {
			t.Errorf("AttemptSpanID(%q) = %s, want none", bad, id)
		}
	}
}

func TestEnvRoundTrip(t *testing.T) {
	tid, _ := trace.TraceIDFromHex("4bf92f3577b34da6a3ce929d0e0e4736")
	sid, _ := trace.SpanIDFromHex("00f067aa0ba902b7")
	state, _ := trace.ParseTraceState("dockmr=1")
	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, TraceState: state})

	env := EnvOf(sc)
	if got, want := env[TraceParentEnv], "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"; got != want {
		t.Errorf("TRACEPARENT %q, want %q", got, want)
	}
	if got := env[TraceStateEnv]; got != "dockmr=1" {
		t.Errorf("TRACESTATE %q, want dockmr=1", got)
	}
	back := ParentOf(env)
	if !back.IsRemote() || back.TraceID() != tid || back.SpanID() != sid || !back.IsSampled() || back.TraceState().Get("dockmr") != "1" {
		t.Errorf("round trip gave %+v", back)
	}
}

func TestEnvWithoutTrace(t *testing.T) {
	if env := Env(context.Background()); len(env) != 0 {
		t.Errorf("Env without a span = %v, want nothing", env)
	}
	for _, bad := range []string{"", "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"} {
		if sc := ParentOf(map[string]string{TraceParentEnv: bad}); sc.IsValid() {
			t.Errorf("TRACEPARENT %q gave a valid parent %v", bad, sc)
		}
	}
}

func TestExporterEnv(t *testing.T) {
	got := ExporterEnv([]string{"PATH=/bin", "OTEL_TRACES_EXPORTER=otlp", "OTEL_SERVICE_NAME=x",
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318", "OTELX=1"})
	if len(got) != 2 || got["OTEL_TRACES_EXPORTER"] != "otlp" || got["OTEL_EXPORTER_OTLP_ENDPOINT"] != "http://127.0.0.1:4318" {
		t.Errorf("ExporterEnv = %v", got)
	}
}

// The task runtime records no metrics: a metrics exporter installs no
// meter provider there, and nothing is written at its exit.
func TestSetupTaskHasNoMetrics(t *testing.T) {
	var out bytes.Buffer
	shutdown, err := setup(context.Background(), ServiceTask, envOf(map[string]string{MetricsExporterEnv: "console"}), &out)
	if err != nil {
		t.Fatal(err)
	}
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if out.Len() > 0 {
		t.Errorf("the task runtime wrote metrics: %s", out.String())
	}
}

func TestSetupNamesABadProtocol(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift")
	_, err := setup(context.Background(), ServiceCLI, envOf(map[string]string{TracesExporterEnv: "otlp"}), &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), `OTEL_EXPORTER_OTLP_PROTOCOL="thrift"`) || !strings.Contains(err.Error(), "http/protobuf") {
		t.Fatalf("error %v, want one naming OTEL_EXPORTER_OTLP_PROTOCOL=\"thrift\" and the accepted protocols", err)
	}
}
