// Command dockmr runs MapReduce jobs whose tasks are containers on Nomad, or
// processes on this machine: the Hadoop-compatible teragen, terasort and
// teravalidate, and streaming jobs described in an HCL job spec.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dockmr/dockmr/internal/telemetry"
)

// flushTimeout bounds how long dockmr spends exporting its last spans
// before it exits.
const flushTimeout = 5 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	service := telemetry.ServiceCLI
	if len(os.Args) > 1 && os.Args[1] == taskCommandName {
		service = telemetry.ServiceTask
	}
	shutdown, err := telemetry.Setup(ctx, service)
	if err != nil {
		stop()
		os.Exit(exitCode(os.Stderr, usageErrorf("telemetry: %v", err)))
	}
	// A TRACEPARENT in the environment makes the job part of that trace
	// (and names a local task's parent).
	ctx = telemetry.FromEnv(ctx, os.Getenv)
	app := newApp(os.Stdout, os.Stderr)
	args, err := flagsFirst(app, os.Args)
	if err == nil {
		err = app.RunContext(ctx, args)
	}
	stop()
	flushCtx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	if ferr := shutdown(flushCtx); ferr != nil {
		fmt.Fprintf(os.Stderr, "dockmr: export telemetry: %v\n", ferr)
	}
	cancel()
	os.Exit(exitCode(os.Stderr, err))
}

// newApp returns the command line application, writing results to stdout
// and logs to stderr.
func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:  "dockmr",
		Usage: "MapReduce on Nomad, one container per task",
		Description: `dockmr runs MapReduce jobs: the Hadoop-compatible teragen, terasort and
teravalidate, and streaming jobs whose mapper and reducer are any programs
reading records on stdin and writing key<TAB>value lines on stdout.

Jobs run on the Nomad cluster that NOMAD_ADDR names (NOMAD_TOKEN,
NOMAD_NAMESPACE, NOMAD_REGION and the TLS variables are honoured), one
container per task under dockmr-driver; input and output live under a
--data-dir that every client sees at the same path. Every command that runs
a job takes --local to run each task as a process on this machine instead.

Examples:
   export DOCKMR_DATA_DIR=/data
   dockmr teragen 10m /data/tera-in
   dockmr terasort /data/tera-in /data/tera-out
   dockmr teravalidate /data/tera-out /data/tera-report
   dockmr run examples/wordcount/wordcount.hcl
   dockmr terasort --detach /data/tera-in /data/tera-out2; dockmr list`,
		Writer:                 stdout,
		ErrWriter:              stderr,
		HideVersion:            true,
		UseShortOptionHandling: true,
		OnUsageError:           onUsageError,
		ExitErrHandler:         func(*cli.Context, error) {}, // main reports errors
		Action: func(c *cli.Context) error {
			if c.Args().Present() {
				return usageErrorf("unknown command %q; run 'dockmr --help' for the list", c.Args().First())
			}
			return cli.ShowAppHelp(c)
		},
		Commands: []*cli.Command{
			teragenCommand(),
			terasortCommand(),
			teravalidateCommand(),
			runCommand(),
			listCommand(),
			statusCommand(),
			logsCommand(),
			historyCommand(),
			cancelCommand(),
			devCommand(),
			imageCommand(),
			shuffleCommand(),
			taskCommand(),
		},
	}
}
