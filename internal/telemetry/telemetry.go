// Package telemetry sets up OpenTelemetry for dockmr's programs from the
// standard OTEL_* environment, and carries a trace from the dockmr CLI
// through Nomad and the driver into every task container.
//
// Exporters are chosen by OTEL_TRACES_EXPORTER and OTEL_METRICS_EXPORTER
// (otlp, console or none; OTEL_EXPORTER_OTLP_* configure otlp). Unlike
// OpenTelemetry's own default, an unset variable means none: dockmr
// exports nothing unless asked. When a signal is off, no provider is
// installed, so instrumented code talks to OpenTelemetry's global no-op
// providers and costs next to nothing.
//
// A trace crosses process boundaries in the W3C TRACEPARENT and TRACESTATE
// environment variables. The span of a task attempt, which is one Nomad
// allocation, has an ID derived from the allocation's ID (AttemptSpanID):
// the driver makes its spans children of it and the CLI records it once
// the allocation has ended, neither having to tell the other.
package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/dockmr/dockmr/contract"
)

// Service names of dockmr's programs, the service.name of their resource
// unless OTEL_SERVICE_NAME says otherwise.
const (
	ServiceCLI    = "dockmr"
	ServiceDriver = contract.DriverName
	ServiceTask   = "dockmr-task"
)

// Shutdown flushes what is buffered and stops the exporters.
type Shutdown func(context.Context) error

// Setup installs the tracer and meter providers that the environment asks
// for, for the program named service, and the W3C trace-context
// propagator. A signal whose exporter is none (or unset) gets no provider.
// Console output goes to standard error: standard output is a program's
// result (dockmr --json) or, for the driver plugin, its handshake with
// Nomad. Console spans are written as they end, so that a program's last
// line on standard error stays its own (runners report a failed task by
// it).
func Setup(ctx context.Context, service string) (Shutdown, error) {
	return setup(ctx, service, os.Getenv, os.Stderr)
}

func setup(ctx context.Context, service string, getenv func(string) string, console io.Writer) (Shutdown, error) {
	otel.SetTextMapPropagator(Propagator)
	traces, err := chooseExporter(getenv, TracesExporterEnv)
	if err != nil {
		return nil, err
	}
	metrics, err := chooseExporter(getenv, MetricsExporterEnv)
	if err != nil {
		return nil, err
	}
	if service == ServiceTask {
		// The task runtime has no metrics of its own; a reader would
		// only add an empty export at every task's end.
		metrics = exporterNone
	}
	if traces == exporterNone && metrics == exporterNone {
		return func(context.Context) error { return nil }, nil
	}

	res, err := newResource(ctx, service)
	if err != nil {
		return nil, err
	}
	var shutdowns []Shutdown
	shutdown := func(ctx context.Context) error {
		var errs []error
		for _, s := range shutdowns {
			errs = append(errs, s(ctx))
		}
		return errors.Join(errs...)
	}
	if traces != exporterNone {
		tp, err := newTracerProvider(ctx, traces, res, console)
		if err != nil {
			return nil, err
		}
		otel.SetTracerProvider(tp)
		tracing.Store(true)
		shutdowns = append(shutdowns, tp.Shutdown)
	}
	if metrics != exporterNone {
		mp, err := newMeterProvider(ctx, metrics, res, console)
		if err != nil {
			_ = shutdown(ctx)
			return nil, err
		}
		otel.SetMeterProvider(mp)
		shutdowns = append(shutdowns, mp.Shutdown)
	}
	return shutdown, nil
}

// tracing is set once Setup has installed a tracer provider.
var tracing atomic.Bool

// Tracing reports whether Setup installed a tracer provider, for work
// done only to record spans.
func Tracing() bool { return tracing.Load() }

// newResource describes the program: its service name, which
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES may override, and the SDK.
func newResource(ctx context.Context, service string) (*resource.Resource, error) {
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", service)),
		resource.WithTelemetrySDK(),
		resource.WithProcessPID(),
		resource.WithFromEnv(),
	)
	if err != nil {
		return nil, fmt.Errorf("OpenTelemetry resource (OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME): %w", err)
	}
	return res, nil
}
