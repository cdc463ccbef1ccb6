//go:build tools

// Package tools pins the Nomad agent to the same module version as the
// plugin SDK, so that `make nomad` builds an agent that speaks exactly the
// plugin protocol dockmr-driver is compiled against.
package tools

import (
	_ "github.com/hashicorp/nomad"
	_ "github.com/hashicorp/nomad/api"
	_ "github.com/hashicorp/nomad/plugins/drivers/testutils"
	_ "github.com/docker/docker/client"
	_ "github.com/hashicorp/hcl/v2/hclsimple"
	_ "github.com/urfave/cli/v2"
	_ "go.opentelemetry.io/otel"
	_ "go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	_ "go.opentelemetry.io/otel/sdk/trace"
	_ "github.com/shoenig/test/must"
)
