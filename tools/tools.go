//go:build tools

// Package tools pins the Nomad agent to the same module version as the
// plugin SDK, so that `make nomad` builds an agent that speaks exactly the
// plugin protocol dockmr-driver is compiled against.
package tools

import (
	_ "github.com/hashicorp/nomad"
)
