package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/dockmr/dockmr/jobs/terajob"
	"github.com/dockmr/dockmr/tera"
)

// teragenCommand is the first argument that selects TeraGen's map run
// with no coordinator, as Nomad job files do.
const teragenCommand = "teragen"

const teragenUsage = `usage: dockmr-task teragen --maps N [--format binary|ascii] [--job ID] [--index N] [--attempt ID] ROWS OUTDIR

Runs map task N of a TeraGen job of ROWS rows (k, m, b or t suffixes are
powers of 1000) writing OUTDIR/part-m-N, with no dockmr command to plan or
commit the job: the first task stages it, and the last to finish commits it
(OUTDIR/_SUCCESS). Every task of the job must be given the same ROWS,
OUTDIR, --maps and --format. This is how a Nomad job file with count = N
runs TeraGen (examples/teragen/teragen.nomad.hcl).
  --maps N      the number of map tasks (and part files)
  --format F    binary (Hadoop TeraGen, the default) or ascii (gensort -a)
  --job ID      the job's ID, naming its staging directory; default $NOMAD_JOB_ID
  --index N     this task's index; default $NOMAD_ALLOC_INDEX
  --attempt ID  this attempt's ID; default $NOMAD_ALLOC_ID

Exit status: 0 when the task is committed (by this attempt or another), 1
when it failed, 2 for a bad command line.
`

// parseTeragen parses the command line of `dockmr-task teragen`.
func parseTeragen(args []string, getenv func(string) string) (terajob.GenTask, error) {
	fs := flag.NewFlagSet("dockmr-task teragen", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	maps := fs.Int("maps", 0, "")
	format := fs.String("format", "binary", "")
	job := fs.String("job", getenv("NOMAD_JOB_ID"), "")
	index := fs.String("index", getenv("NOMAD_ALLOC_INDEX"), "")
	attempt := fs.String("attempt", getenv("NOMAD_ALLOC_ID"), "")
	if err := fs.Parse(args); err != nil {
		return terajob.GenTask{}, err
	}
	if fs.NArg() != 2 {
		return terajob.GenTask{}, fmt.Errorf("got %d arguments %q, want ROWS OUTDIR (flags go first)", fs.NArg(), fs.Args())
	}
	rows, err := terajob.ParseRows(fs.Arg(0))
	if err != nil {
		return terajob.GenTask{}, err
	}
	f, err := tera.ParseFormat(*format)
	if err != nil {
		return terajob.GenTask{}, fmt.Errorf("--format: %w", err)
	}
	if *maps < 1 {
		return terajob.GenTask{}, fmt.Errorf("--maps %d: want the number of map tasks, at least 1", *maps)
	}
	if *job == "" {
		return terajob.GenTask{}, errors.New("no job id: pass --job ID or set NOMAD_JOB_ID")
	}
	if *index == "" {
		return terajob.GenTask{}, errors.New("no task index: pass --index N or set NOMAD_ALLOC_INDEX")
	}
	n, err := strconv.Atoi(*index)
	if err != nil {
		return terajob.GenTask{}, fmt.Errorf("task index %q: want a number from 0 to %d", *index, *maps-1)
	}
	if *attempt == "" {
		return terajob.GenTask{}, errors.New("no attempt id: pass --attempt ID or set NOMAD_ALLOC_ID")
	}
	return terajob.GenTask{
		Gen:     terajob.Gen{Rows: rows, Format: f, Output: fs.Arg(1), Maps: *maps},
		JobID:   *job,
		Index:   n,
		Attempt: *attempt,
	}, nil
}

// teragenMain runs `dockmr-task teragen` and returns its exit status.
func teragenMain(ctx context.Context, args []string, stderr io.Writer) int {
	t, err := parseTeragen(args, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "dockmr-task teragen: %v\n\n%s", err, teragenUsage)
		return 2
	}
	t.Stderr = stderr
	out, err := t.Run(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "dockmr-task teragen: %v\n", err)
		return 1
	}
	switch m := out.Task; {
	case m != nil:
		fmt.Fprintf(stderr, "dockmr-task teragen: %s attempt %s committed in %.2fs: %d records (%d bytes)\n",
			m.Task, m.Attempt, m.Finished.Sub(m.Started).Seconds(), m.Counters.RecordsOut, m.Counters.BytesOut)
	case out.Job == nil:
		fmt.Fprintf(stderr, "dockmr-task teragen: map %d was committed by another attempt; nothing to do\n", t.Index)
	}
	if res := out.Job; res != nil {
		fmt.Fprintf(stderr, "dockmr-task teragen: job %s committed to %s: %d records (%d bytes), checksum %s\n",
			res.ID, res.Output, res.Map.RecordsOut, res.Map.BytesOut, res.Checksum)
	}
	return 0
}
