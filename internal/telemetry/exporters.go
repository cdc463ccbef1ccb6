package telemetry

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"go.opentelemetry.io/contrib/exporters/autoexport"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The variables that choose the exporters, as OpenTelemetry names them.
const (
	TracesExporterEnv  = "OTEL_TRACES_EXPORTER"
	MetricsExporterEnv = "OTEL_METRICS_EXPORTER"
	// SDKDisabledEnv set to true turns every signal off.
	SDKDisabledEnv = "OTEL_SDK_DISABLED"
)

const (
	exporterNone    = "none"
	exporterConsole = "console"
	exporterOTLP    = "otlp"
)

// chooseExporter reads the exporter of a signal from its variable: none
// when unset (dockmr's default, not OpenTelemetry's otlp) or when the SDK
// is disabled. OTLP and the exporters that autoexport knows besides
// (prometheus for metrics) are accepted; anything else is an error that
// names the variable and the value.
func chooseExporter(getenv func(string) string, key string) (string, error) {
	if strings.EqualFold(strings.TrimSpace(getenv(SDKDisabledEnv)), "true") {
		return exporterNone, nil
	}
	v := strings.ToLower(strings.TrimSpace(getenv(key)))
	switch v {
	case "", exporterNone:
		return exporterNone, nil
	case exporterConsole, exporterOTLP:
		return v, nil
	case "prometheus":
		if key == MetricsExporterEnv {
			return v, nil
		}
	}
	want := "otlp, console or none"
	if key == MetricsExporterEnv {
		want = "otlp, console, prometheus or none"
	}
	return "", fmt.Errorf("%s=%q is not an exporter dockmr knows; want %s (one value)", key, getenv(key), want)
}

// newTracerProvider makes the tracer provider of an exporter other than
// none. Spans are batched (OTEL_BSP_* tune the batches), except on the
// console, where each is written as it ends; the sampler follows the
// parent and OTEL_TRACES_SAMPLER.
func newTracerProvider(ctx context.Context, exporter string, res *resource.Resource, console io.Writer) (*sdktrace.TracerProvider, error) {
	if exporter == exporterConsole {
		exp, err := stdouttrace.New(stdouttrace.WithWriter(console))
		if err != nil {
			return nil, fmt.Errorf("%s=%s: %w", TracesExporterEnv, exporter, err)
		}
		return newTracerProviderWith(sdktrace.WithSyncer(exp), res), nil
	}
	exp, err := autoexport.NewSpanExporter(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s=%s%s: %w", TracesExporterEnv, exporter, protocolSettings("TRACES"), err)
	}
	return newTracerProviderWith(sdktrace.WithBatcher(exp), res), nil
}

func newTracerProviderWith(processor sdktrace.TracerProviderOption, res *resource.Resource) *sdktrace.TracerProvider {
	return sdktrace.NewTracerProvider(
		processor,
		sdktrace.WithResource(res),
		sdktrace.WithIDGenerator(idGenerator{}),
	)
}

// newMeterProvider makes the meter provider of an exporter other than
// none, read periodically (OTEL_METRIC_EXPORT_INTERVAL).
func newMeterProvider(ctx context.Context, exporter string, res *resource.Resource, console io.Writer) (*sdkmetric.MeterProvider, error) {
	var reader sdkmetric.Reader
	if exporter == exporterConsole {
		exp, err := stdoutmetric.New(stdoutmetric.WithWriter(console))
		if err != nil {
			return nil, fmt.Errorf("%s=%s: %w", MetricsExporterEnv, exporter, err)
		}
		reader = sdkmetric.NewPeriodicReader(exp)
	} else {
		r, err := autoexport.NewMetricReader(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s=%s%s: %w", MetricsExporterEnv, exporter, protocolSettings("METRICS"), err)
		}
		reader = r
	}
	return sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithResource(res)), nil
}

// protocolSettings names the OTLP protocol variables that are set, which
// an exporter's error is most likely about.
func protocolSettings(signal string) string {
	var b strings.Builder
	for _, k := range []string{"OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_" + signal + "_PROTOCOL"} {
		if v, ok := os.LookupEnv(k); ok {
			fmt.Fprintf(&b, " with %s=%q", k, v)
		}
	}
	return b.String()
}
