package otlptest

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The receiver decodes what OpenTelemetry's own OTLP/HTTP exporters send,
// compressed or not.
func TestReceiverDecodesOTLP(t *testing.T) {
	r, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	res := resource.NewSchemaless(attribute.String("service.name", "probe"))

	for _, compression := range []otlptracehttp.Compression{otlptracehttp.NoCompression, otlptracehttp.GzipCompression} {
		exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(r.Endpoint()+"/v1/traces"), otlptracehttp.WithCompression(compression))
		if err != nil {
			t.Fatal(err)
		}
		tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(res))
		pctx, parent := tp.Tracer("t").Start(ctx, "parent")
		_, child := tp.Tracer("t").Start(pctx, "child")
		child.SetAttributes(attribute.Int("n", 7))
		child.End()
		parent.End()
		if err := tp.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
	}
	spans := r.Spans()
	if len(spans) != 4 {
		t.Fatalf("received %d spans, want 4: %+v", len(spans), spans)
	}
	child, parent := spans[0], spans[1]
	if child.Name != "child" || parent.Name != "parent" || child.ParentID != parent.SpanID || parent.ParentID != "" ||
		child.TraceID != parent.TraceID || child.Attrs["n"] != "7" || child.Service != "probe" {
		t.Errorf("received %+v and %+v", child, parent)
	}

	mexp, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(r.Endpoint()+"/v1/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	mp := metric.NewMeterProvider(metric.WithReader(metric.NewPeriodicReader(mexp)), metric.WithResource(res))
	h, _ := mp.Meter("t").Float64Histogram("probe.duration")
	h.Record(ctx, 1.5)
	if err := mp.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if m := r.Metrics(); len(m) != 1 || m[0].Name != "probe.duration" || m[0].Points != 1 || m[0].Service != "probe" {
		t.Errorf("received metrics %+v", m)
	}
	if err := r.Err(); err != nil {
		t.Error(err)
	}
}
