package driver

import (
	"context"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/nomad/plugins/drivers"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockmr/dockmr/internal/telemetry"
)

// The driver's spans and metrics. They go to OpenTelemetry's global
// providers, which the plugin's main installs from the agent's OTEL_*
// environment; with telemetry off these are no-ops.
var (
	tracer = telemetry.Tracer()
	meter  = telemetry.Meter()

	startLatency = mustHistogram("dockmr.driver.task.start.duration",
		"Time from StartTask to a started container, the image pull included.")
	pullTime = mustHistogram("dockmr.driver.image.pull.duration",
		"Time of each image pull the driver made (one per image however many tasks wait for it).")
	statsTime = mustHistogram("dockmr.driver.stats.duration",
		"Time to collect one resource usage sample of a container.")
)

func mustHistogram(name, desc string) metric.Float64Histogram {
	h, err := meter.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc))
	if err != nil {
		panic(err) // only a malformed name fails, which is a bug here
	}
	return h
}

// dockerCallFilter lets the Docker client trace only the calls made
// within one of the driver's spans (create, start, ...), as their
// children; its background calls (fingerprint pings, the reconciler's
// listings, log streams, waits) would each start a trace of their own.
var dockerCallFilter = otelhttp.WithFilter(func(r *http.Request) bool {
	return trace.SpanContextFromContext(r.Context()).IsValid()
})

// registerRunningGauge reports how many of the driver's containers are
// running whenever metrics are read, so the count is right after a
// plugin restart too.
func (d *Driver) registerRunningGauge() {
	_, err := meter.Int64ObservableGauge("dockmr.driver.containers.running",
		metric.WithDescription("Containers of this driver that are running."),
		metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			var n int64
			d.tasks.each(func(h *taskHandle) {
				if h.running() {
					n++
				}
			})
			o.Observe(n)
			return nil
		}))
	if err != nil {
		d.logger.Warn("cannot register the running containers gauge", "error", err)
	}
}

// attemptSpan is the span context of the task attempt that cfg is: the
// trace of the TRACEPARENT that the job gave the task (its phase's span)
// and the span ID derived from the allocation ID, which the dockmr CLI
// records once the attempt has ended. It is not valid when the task came
// without a TRACEPARENT.
func attemptSpan(cfg *drivers.TaskConfig) trace.SpanContext {
	phase := telemetry.ParentOf(cfg.Env)
	if !phase.IsValid() {
		return phase
	}
	id, ok := telemetry.AttemptSpanID(cfg.AllocID)
	if !ok {
		return phase
	}
	return phase.WithSpanID(id)
}

type taskAttrsKey struct{}

// attemptContext returns ctx with the task attempt's span as the parent of
// the spans started from it, and the task's attributes for them. A task
// that came without a trace (not a dockmr job's) gets no spans: each of
// its steps would start a trace of its own.
func attemptContext(ctx context.Context, cfg *drivers.TaskConfig) context.Context {
	sc := attemptSpan(cfg)
	if !sc.IsValid() {
		return ctx
	}
	ctx = trace.ContextWithRemoteSpanContext(ctx, sc)
	return context.WithValue(ctx, taskAttrsKey{}, cfg)
}

// taskAttributes describe the task on every span of the driver.
func taskAttributes(cfg *drivers.TaskConfig, image string) []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		telemetry.AllocID.String(cfg.AllocID),
		telemetry.NomadJobID.String(cfg.JobID),
		telemetry.NomadTask.String(cfg.Name),
		telemetry.NodeID.String(cfg.NodeID),
		telemetry.NodeName.String(cfg.NodeName),
	}
	if image != "" {
		attrs = append(attrs, telemetry.ImageName.String(image))
	}
	return attrs
}

// startSpan starts one of the spans of starting a task, with the task's
// attributes when ctx comes from attemptContext.
func startSpan(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	cfg, ok := ctx.Value(taskAttrsKey{}).(*drivers.TaskConfig)
	if !ok {
		return ctx, trace.SpanFromContext(context.Background()) // untraced: a no-op span
	}
	attrs = append(taskAttributes(cfg, ""), attrs...)
	return tracer.Start(ctx, name, trace.WithAttributes(attrs...))
}

// endSpan ends a span, marking it failed with err.
func endSpan(span trace.Span, err error) {
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}

// containerEnv is the container's environment: the task's, with
// TRACEPARENT naming the attempt's span, so the task runtime's spans are
// its children, and the plugin's own OTEL_* settings (the node's
// collector) for those the task does not set.
func containerEnv(cfg *drivers.TaskConfig, env []string) []string {
	sc := attemptSpan(cfg)
	if !sc.IsValid() {
		return env
	}
	set := map[string]bool{}
	out := make([]string, 0, len(env)+8)
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if k == telemetry.TraceParentEnv || k == telemetry.TraceStateEnv {
			continue
		}
		set[k] = true
		out = append(out, kv)
	}
	for k, v := range telemetry.EnvOf(sc) {
		out = append(out, k+"="+v)
	}
	for k, v := range telemetry.ExporterEnv(os.Environ()) {
		if !set[k] {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// recordStart records the start latency of a task that has started.
func recordStart(began time.Time) {
	startLatency.Record(context.Background(), time.Since(began).Seconds())
}

// recordPull records the time of one image pull.
func recordPull(took time.Duration, err error) {
	pullTime.Record(context.Background(), took.Seconds(),
		metric.WithAttributes(attribute.Bool("error", err != nil)))
}

// recordStats records the time one stats sample took.
func recordStats(took time.Duration) {
	statsTime.Record(context.Background(), took.Seconds())
}

// recordWait records the span of a container's life, from its start to
// its exit, once the exit is known. A plugin restarted meanwhile records
// it from the start time in the saved state; a plugin that stops
// following the task records nothing.
func (h *taskHandle) recordWait(res *drivers.ExitResult) {
	sc := attemptSpan(h.cfg)
	if h.ctx.Err() != nil || !sc.IsValid() {
		return
	}
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), sc)
	attrs := append(taskAttributes(h.cfg, h.image),
		telemetry.ContainerID.String(h.containerID),
		telemetry.ExitCode.Int(res.ExitCode),
		telemetry.OOMKilled.Bool(res.OOMKilled))
	_, span := tracer.Start(ctx, "container wait", trace.WithTimestamp(h.startedAt), trace.WithAttributes(attrs...))
	if res.Err != nil {
		span.RecordError(res.Err)
		span.SetStatus(codes.Error, res.Err.Error())
	} else if res.ExitCode != 0 {
		span.SetStatus(codes.Error, "exit code "+strconv.Itoa(res.ExitCode))
	}
	span.End()
}
