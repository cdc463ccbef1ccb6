// Command dockmr-task runs one attempt of one map or reduce task of a
// dockmr job, reading the job's plan file from shared storage. It is a
// static binary, so that the driver can mount it into any task container;
// the local runner runs it as a child process. `dockmr-task am` runs a
// detached job's application master, which submits the job's phases to
// Nomad from inside the cluster. `dockmr-task shuffle-serve` runs a
// node's shuffle server.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dockmr/dockmr/internal/telemetry"
	"github.com/dockmr/dockmr/jobs/nomad"
	"github.com/dockmr/dockmr/jobs/task"
	"github.com/dockmr/dockmr/shuffle"
)

// flushTimeout bounds how long the program spends exporting its spans
// before it exits; the container ends right after.
const flushTimeout = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	service := telemetry.ServiceTask
	if len(os.Args) > 1 && os.Args[1] == nomad.AMPhase {
		service = telemetry.ServiceCLI // the application master does the CLI's work
	}
	// Telemetry must not fail a task: a bad setting is reported and the
	// task runs without it.
	shutdown, err := telemetry.Setup(ctx, service)
	if err != nil {
		fmt.Fprintf(os.Stderr, "dockmr-task: telemetry off: %v\n", err)
		shutdown = func(context.Context) error { return nil }
	}
	// The driver names the task attempt's span in TRACEPARENT.
	ctx = telemetry.FromEnv(ctx, os.Getenv)

	var code int
	if len(os.Args) > 1 && os.Args[1] == nomad.AMPhase {
		code = nomad.AMMain(ctx, os.Args[2:], os.Stderr)
	} else if len(os.Args) > 1 && os.Args[1] == nomad.PrefetchArg {
		// A prefetch task: the driver has put the image on the node
		// before starting this container, which is all there was to do.
		fmt.Println("image present")
	} else if len(os.Args) > 1 && os.Args[1] == shuffle.ServeCommand {
		code = shuffle.ServeMain(ctx, os.Args[2:], os.Stderr)
	} else if len(os.Args) > 1 && os.Args[1] == teragenCommand {
		code = teragenMain(ctx, os.Args[2:], os.Stderr)
	} else {
		code = task.Main(ctx, os.Args[1:], os.Stderr)
	}
	stop()
	flushCtx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	if err := shutdown(flushCtx); err != nil {
		fmt.Fprintf(os.Stderr, "dockmr-task: export telemetry: %v\n", err)
	}
	cancel()
	os.Exit(code)
}
