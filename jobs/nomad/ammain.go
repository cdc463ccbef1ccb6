package nomad

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/dockmr/dockmr/jobs/history"
)

// AMMain runs an application master, `dockmr-task am --spec FILE`: it runs
// the job of the spec with the Nomad runner, printing each phase's
// progress and the result on stderr, where `dockmr logs JOB` finds them.
// It returns the exit status: 0 once the job is committed, 1 when it
// failed, 2 for a bad command line.
func AMMain(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("dockmr-task am", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	specFile := fs.String("spec", amSpecPath, "")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "dockmr-task am: bad command line %q; usage: dockmr-task am [--spec FILE]\n", args)
		return 2
	}
	spec, err := readAMSpec(*specFile)
	if err != nil {
		fmt.Fprintf(stderr, "dockmr-task am: %v\n", err)
		return 1
	}
	client, err := Connect()
	if err != nil {
		fmt.Fprintf(stderr, "dockmr-task am: %v\n", err)
		return 1
	}
	last := ""
	progress := func(p Progress) {
		if line := p.String(); line != last {
			fmt.Fprintln(stderr, line)
			last = line
		}
	}
	r := &Runner{Client: client, Settings: spec.Settings, Progress: progress}
	rec := &history.Recorder{
		Runner: r, Lister: r, RunnerName: "nomad",
		Cancelled: func(err error) bool { return errors.Is(err, ErrStopped) },
		Warn:      func(err error) { fmt.Fprintf(stderr, "dockmr-task am: warning: %v\n", err) },
	}
	res, err := rec.Run(ctx, spec.Plan)
	if perr := spec.Plan.PublishHistory(context.WithoutCancel(ctx)); perr != nil {
		fmt.Fprintf(stderr, "dockmr-task am: warning: %v\n", perr)
	}
	if usesS3(spec.Plan) {
		forgetCredentials(client, AMJobID(spec.Plan.ID))
	}
	recordAMAttempt(client, os.Getenv("NOMAD_ALLOC_ID"), err)
	if err != nil {
		fmt.Fprintf(stderr, "dockmr-task am: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "job %s committed to %s in %.2fs, checksum %s\n", res.ID, res.Output, res.Elapsed.Seconds(), res.Checksum)
	return 0
}

func readAMSpec(path string) (AMSpec, error) {
	var spec AMSpec
	b, err := os.ReadFile(path)
	if err != nil {
		return spec, fmt.Errorf("read the job: %w", err)
	}
	if err := json.Unmarshal(b, &spec); err != nil {
		return spec, fmt.Errorf("read the job %s: %w", path, err)
	}
	if spec.Plan == nil {
		return spec, fmt.Errorf("read the job %s: it has no plan", path)
	}
	return spec, nil
}
