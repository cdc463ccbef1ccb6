// Package task is dockmr's task runtime: it runs one attempt of one map or
// reduce task of a planned job, the work of the dockmr-task program.
//
// A map task reads its split and applies the phase's function. In a
// map-only job it writes its part-m file; otherwise it partitions its
// output, sorts it in a memory-bounded buffer, spills sorted runs when the
// buffer fills, and merges them into one file that holds a sorted run per
// partition. A reduce task merges its partition's runs from every map and
// applies the phase's function to the merged records, writing its part-r
// file.
//
// Every attempt writes only under its own attempt directory and commits by
// renaming that directory to the task's directory (jobs.Plan.CommitTask),
// so a failed or killed attempt leaves nothing that counts, and of
// duplicate attempts only the first to commit counts.
package task

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/dockmr/dockmr/internal/telemetry"
	"github.com/dockmr/dockmr/jobs"
)

// Options select one attempt of one task of a plan.
type Options struct {
	PlanFile string
	Kind     jobs.TaskKind
	Index    int
	Attempt  string
	// Stderr receives the standard error of streaming commands; nil
	// discards it.
	Stderr io.Writer
	// Shuffle is the node's shuffle set-up; with no directory, map output
	// stays in the attempt directory and reduces read it in place.
	Shuffle NodeShuffle
}

// NodeShuffle is what a task knows of its node's shuffle server, from
// the node's meta through the task's environment.
type NodeShuffle struct {
	Dir  string // the node's shuffle directory, mounted at the same path
	Addr string // host:port of the node's shuffle server
	Node string // the node's name, for the manifest and history
}

// attempt is the state of one running task attempt.
type attempt struct {
	plan     *jobs.Plan
	kind     jobs.TaskKind
	index    int
	id       string
	dir      string
	stderr   io.Writer
	manifest jobs.Manifest
	temps    int // temporary files made so far, for unique names
	// work is where temporary files go: the attempt directory, or on the
	// node's local disk when map output stays there.
	work    string
	shuffle NodeShuffle
	// fetchedInMemory counts the bytes of fetched segments held in
	// memory, up to the sort buffer's size.
	fetchedInMemory int64
	// local is the attempt's directory in the node's shuffle directory,
	// "" when the attempt keeps nothing there.
	local string

	// span is the attempt's span; trace holds the span of the step in
	// progress, the parent of the spans of its own steps.
	span  trace.Span
	trace context.Context
}

// Run runs one attempt of a task and commits it. If another attempt of the
// task has committed, before or meanwhile, it returns an error wrapping
// jobs.ErrAlreadyCommitted and leaves that attempt's output as it is. On
// any other error the attempt's directory is removed.
func Run(ctx context.Context, opts Options) (_ *jobs.Manifest, err error) {
	a, err := newAttempt(opts)
	if err != nil {
		return nil, err
	}
	a.trace, a.span = startAttemptSpan(ctx, opts, a.plan.ID)
	defer func() { a.endSpan(err) }()
	if _, err := os.Stat(filepath.Join(a.plan.TaskDir(a.kind, a.index), jobs.ManifestFile)); err == nil {
		return nil, fmt.Errorf("%s: %w", a.manifest.Task, jobs.ErrAlreadyCommitted)
	}
	if err := os.Mkdir(a.dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("%s: attempt %s has run before; every attempt needs a new id", a.manifest.Task, a.id)
		}
		return nil, fmt.Errorf("%s: create attempt directory: %w", a.manifest.Task, err)
	}
	// The task may run as another user than the one committing the job,
	// who must be able to move the part files out and remove the rest.
	if err := os.Chmod(a.dir, 0o777); err != nil {
		os.RemoveAll(a.dir)
		return nil, fmt.Errorf("%s: open attempt directory: %w", a.manifest.Task, err)
	}
	if err := a.startLocal(); err != nil {
		os.RemoveAll(a.dir)
		return nil, fmt.Errorf("%s: %w", a.manifest.Task, err)
	}
	if a.kind == jobs.MapTask {
		err = a.within("map", func() error { return a.runMap(ctx) })
	} else {
		err = a.within("reduce", func() error { return a.runReduce(ctx) })
		a.dropLocal() // the reduce's fetched segments and merges
	}
	if err != nil {
		os.RemoveAll(a.dir)
		a.dropLocal()
		return nil, fmt.Errorf("%s: %w", a.manifest.Task, err)
	}
	a.manifest.Finished = time.Now().UTC()
	commit := a.step("commit")
	err = a.plan.CommitTask(a.kind, a.index, &a.manifest)
	endStep(commit, err)
	if err != nil {
		a.abortUploads()
		if !errors.Is(err, jobs.ErrAlreadyCommitted) {
			os.RemoveAll(a.dir)
		}
		return nil, err
	}
	return &a.manifest, nil
}

func newAttempt(opts Options) (*attempt, error) {
	plan, err := jobs.ReadPlan(opts.PlanFile)
	if err != nil {
		return nil, err
	}
	if n := plan.Tasks(opts.Kind); opts.Index < 0 || opts.Index >= n {
		return nil, fmt.Errorf("%s task index %d is out of range: the job has %d %s tasks", opts.Kind, opts.Index, n, opts.Kind)
	}
	if err := jobs.CheckAttemptID(opts.Attempt); err != nil {
		return nil, err
	}
	stderr := opts.Stderr
	if stderr == nil {
		stderr = io.Discard
	}
	return &attempt{
		plan:    plan,
		kind:    opts.Kind,
		index:   opts.Index,
		id:      opts.Attempt,
		dir:     plan.AttemptDir(opts.Kind, opts.Index, opts.Attempt),
		work:    plan.AttemptDir(opts.Kind, opts.Index, opts.Attempt),
		shuffle: opts.Shuffle,
		stderr:  stderr,
		span:    trace.SpanFromContext(context.Background()),
		trace:   context.Background(),
		manifest: jobs.Manifest{
			Task:    jobs.TaskName(opts.Kind, opts.Index),
			Attempt: opts.Attempt,
			Started: time.Now().UTC(),
		},
	}, nil
}

// sortBytes is the memory bound of sorting and merging, in bytes.
func (a *attempt) sortBytes() int { return a.plan.Job.Settings.SortMB << 20 }

// tempPath returns a new file name in the attempt directory.
func (a *attempt) tempPath(prefix string) string {
	a.temps++
	return filepath.Join(a.work, fmt.Sprintf("%s-%04d", prefix, a.temps))
}

// createPart creates the attempt's part file and lists it for commit.
func (a *attempt) createPart(f framing) (*partWriter, error) {
	codec := a.plan.Job.Settings.OutputCodec
	name := jobs.PartName(a.kind, a.index) + codec.Ext()
	var w *partWriter
	var err error
	if a.plan.Job.OutputURL != "" {
		w, err = createUpload(a.trace, a.plan.OutputLocation().Join(name), f)
	} else {
		a.manifest.Files = append(a.manifest.Files, name)
		w, err = createPart(filepath.Join(a.dir, name), f, !a.plan.Job.Settings.CacheOutput)
	}
	if err != nil {
		return nil, err
	}
	if err := w.compress(codec); err != nil {
		w.abandon()
		return nil, err
	}
	return w, nil
}

// writePart finishes the part file of a task that wrote it as it went
// (teragen, a map-only job), as the attempt's write step.
func (a *attempt) writePart(w *partWriter) error {
	span := a.step("write")
	err := a.closePart(w)
	if err == nil {
		span.SetAttributes(telemetry.Bytes.Int64(int64(w.bytes)), telemetry.Records.Int64(int64(w.records)))
	}
	endStep(span, err)
	return err
}

// closePart closes the part file and adds its counts to the counters.
func (a *attempt) closePart(w *partWriter) error {
	if err := w.Close(); err != nil {
		return err
	}
	if w.u != nil {
		a.manifest.Uploads = append(a.manifest.Uploads, w.pending)
	}
	c := &a.manifest.Counters
	c.RecordsOut += w.records
	c.BytesOut += w.bytes
	c.Checksum.Add(w.sum)
	return nil
}
