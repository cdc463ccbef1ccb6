package telemetry

import (
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Attribute keys of dockmr's spans. Nomad's and the container's follow
// OpenTelemetry's naming where it has one.
const (
	JobID       = attribute.Key("dockmr.job.id")
	JobName     = attribute.Key("dockmr.job.name")
	Phase       = attribute.Key("dockmr.phase")
	TaskIndex   = attribute.Key("dockmr.task.index")
	TaskAttempt = attribute.Key("dockmr.task.attempt")
	AttemptID   = attribute.Key("dockmr.attempt.id")
	Tasks       = attribute.Key("dockmr.tasks")
	Records     = attribute.Key("dockmr.records")
	Bytes       = attribute.Key("dockmr.bytes")
	Runs        = attribute.Key("dockmr.runs")

	AllocID      = attribute.Key("nomad.alloc.id")
	AllocStatus  = attribute.Key("nomad.alloc.client_status")
	NodeID       = attribute.Key("nomad.node.id")
	NodeName     = attribute.Key("nomad.node.name")
	NomadJobID   = attribute.Key("nomad.job.id")
	NomadTask    = attribute.Key("nomad.task.name")
	ImageName    = attribute.Key("container.image.name")
	ContainerID  = attribute.Key("container.id")
	ExitCode     = attribute.Key("process.exit.code")
	ImagePulled  = attribute.Key("dockmr.image.pulled")
	OOMKilled    = attribute.Key("dockmr.oom_killed")
	FailureCause = attribute.Key("dockmr.failure")
)

const scope = "github.com/dockmr/dockmr"

// Tracer is dockmr's tracer, from the global provider: a no-op one unless
// Setup installed another.
func Tracer() trace.Tracer { return otel.Tracer(scope) }

// Meter is dockmr's meter, from the global provider.
func Meter() metric.Meter { return otel.Meter(scope) }
