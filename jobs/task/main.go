package task

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/shuffle"
)

// Usage is the command line of the task runtime.
const Usage = `usage: dockmr-task --plan FILE map|reduce [--index N] [--attempt ID]

Runs one attempt of one task of a planned job and commits it.
  --plan FILE   the job's plan file (OUTDIR/_temporary/<job id>/plan.json)
  --index N     the task's index; default $NOMAD_ALLOC_INDEX
  --attempt ID  the attempt's id; default $NOMAD_ALLOC_ID, else a random one

Environment: DOCKMR_SHUFFLE_DIR, DOCKMR_SHUFFLE_ADDR and DOCKMR_NODE name
the node's shuffle directory, its shuffle server and the node, for jobs
whose map output stays on the maps' nodes.

Exit status: 0 when the task is committed (by this attempt or an earlier
one), 1 when the attempt failed, 2 for a bad command line, 3 when a
reduce could not fetch some map output (reported in the staging
directory's lost/ for the runner to run those maps again).
`

// The task environment that describes the node's shuffle.
const (
	EnvShuffleDir  = "DOCKMR_SHUFFLE_DIR"
	EnvShuffleAddr = "DOCKMR_SHUFFLE_ADDR"
	EnvNode        = "DOCKMR_NODE"
)

// ExitLost is the exit status of a reduce attempt that could not fetch
// some map output.
const ExitLost = 3

// usageError is a bad command line.
type usageError struct{ error }

// ParseArgs parses the task runtime's command line. Flags may come before
// or after the task kind. The index and attempt default to Nomad's
// NOMAD_ALLOC_INDEX and NOMAD_ALLOC_ID.
func ParseArgs(args []string, getenv func(string) string) (Options, error) {
	fs := flag.NewFlagSet("dockmr-task", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	plan := fs.String("plan", "", "")
	index := fs.String("index", getenv("NOMAD_ALLOC_INDEX"), "")
	attempt := fs.String("attempt", getenv("NOMAD_ALLOC_ID"), "")
	if err := fs.Parse(args); err != nil {
		return Options{}, usageError{err}
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return Options{}, usageError{errors.New("no task kind: want map or reduce")}
	}
	kind, err := jobs.ParseTaskKind(rest[0])
	if err != nil {
		return Options{}, usageError{err}
	}
	if err := fs.Parse(rest[1:]); err != nil {
		return Options{}, usageError{err}
	}
	if fs.NArg() > 0 {
		return Options{}, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	if *plan == "" {
		return Options{}, usageError{errors.New("no plan: pass --plan FILE")}
	}
	if *index == "" {
		return Options{}, usageError{errors.New("no task index: pass --index N or set NOMAD_ALLOC_INDEX")}
	}
	n, err := strconv.Atoi(*index)
	if err != nil || n < 0 {
		return Options{}, usageError{fmt.Errorf("task index %q: want a number from 0", *index)}
	}
	if *attempt == "" {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return Options{}, fmt.Errorf("attempt id: %w", err)
		}
		*attempt = hex.EncodeToString(b[:])
	}
	sh := NodeShuffle{Dir: getenv(EnvShuffleDir), Addr: getenv(EnvShuffleAddr), Node: getenv(EnvNode)}
	return Options{PlanFile: *plan, Kind: kind, Index: n, Attempt: *attempt, Shuffle: sh}, nil
}

// Main runs the task runtime's command line and returns its exit status.
// Errors are printed on stderr as one line, the last one the task prints.
func Main(ctx context.Context, args []string, stderr io.Writer) int {
	opts, err := ParseArgs(args, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "dockmr-task: %v\n\n%s", err, Usage)
		var ue usageError
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	opts.Stderr = stderr
	m, err := runUntilStopped(ctx, stopGrace, func() (*jobs.Manifest, error) { return Run(ctx, opts) })
	switch {
	case errors.Is(err, errStopped):
		fmt.Fprintf(stderr, "dockmr-task: %v\n", err)
		return 143 // 128 + SIGTERM, as a shell reports it
	case errors.As(err, new(*shuffle.LostError)):
		fmt.Fprintf(stderr, "dockmr-task: %v\n", err)
		return ExitLost
	case errors.Is(err, jobs.ErrAlreadyCommitted):
		fmt.Fprintf(stderr, "dockmr-task: %v; nothing to do\n", err)
		return 0
	case err != nil:
		fmt.Fprintf(stderr, "dockmr-task: %v\n", err)
		return 1
	}
	c := m.Counters
	fmt.Fprintf(stderr, "dockmr-task: %s attempt %s committed in %.2fs: %d records in, %d records (%d bytes) out, %d spills\n",
		m.Task, m.Attempt, m.Finished.Sub(m.Started).Seconds(), c.RecordsIn, c.RecordsOut, c.BytesOut, c.Spills)
	return 0
}
