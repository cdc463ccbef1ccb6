package task

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"

	"github.com/dockmr/dockmr/internal/telemetry"
	"github.com/dockmr/dockmr/jobs"
)

// runReduce runs a reduce task: it merges its partition's sorted runs from
// every map and applies the phase's function to the merged records.
func (a *attempt) runReduce(ctx context.Context) error {
	if err := a.checkKeys(); err != nil {
		return err
	}
	read := a.step("read")
	runs, err := a.mapRuns()
	endStep(read, err)
	if err != nil {
		return err
	}
	merging := a.step("merge", telemetry.Runs.Int(len(runs)))
	m, err := a.openMerge(runs, a.mapOutputFraming())
	endStep(merging, err)
	if err != nil {
		return err
	}
	defer m.close()
	return a.within("write", func() error { return a.reduceTo(ctx, m) })
}

// reduceTo applies the reduce function to the merged records and writes
// the task's part file.
func (a *attempt) reduceTo(ctx context.Context, m *merger) error {
	w, err := a.createPart(a.reduceOutputFraming())
	if err != nil {
		return err
	}
	switch fn := a.plan.Job.Reduce.Func; fn {
	case jobs.Identity:
		err = a.reduceIdentity(m, w)
	case jobs.Stream:
		err = a.streamReduce(ctx, m, w)
	case jobs.TeraValidate:
		err = a.validateReduce(m, w)
	default:
		err = fmt.Errorf("reduce function %q is not supported", fn)
	}
	if err != nil {
		w.abandon()
		return err
	}
	return a.closePart(w)
}

// mapRuns returns this reduce's partition of every map's output.
func (a *attempt) mapRuns() ([]run, error) {
	var runs []run
	for i := range a.plan.Tasks(jobs.MapTask) {
		m, err := a.plan.ReadManifest(jobs.MapTask, i)
		if err != nil {
			return nil, fmt.Errorf("map output: %w", err)
		}
		if len(m.Segments) != a.plan.Reduces() {
			return nil, fmt.Errorf("map output of %s has %d partitions, want %d", m.Task, len(m.Segments), a.plan.Reduces())
		}
		seg := m.Segments[a.index]
		a.manifest.Counters.BytesIn += uint64(seg.Length)
		a.manifest.Counters.ShuffleBytes += uint64(seg.Length)
		if seg.Length > 0 {
			path := filepath.Join(a.plan.TaskDir(jobs.MapTask, i), jobs.MapOutputFile)
			runs = append(runs, run{path: path, offset: seg.Offset, length: seg.Length})
		}
	}
	return runs, nil
}

// reduceOutputFraming returns the framing of the reduce function's output.
func (a *attempt) reduceOutputFraming() framing {
	if a.plan.Job.Reduce.Func == jobs.Identity {
		return a.mapOutputFraming()
	}
	return lineFraming
}

// reduceIdentity writes the merged records unchanged.
func (a *attempt) reduceIdentity(m *merger, w *partWriter) error {
	_, records, err := copyRecords(w, m)
	a.manifest.Counters.RecordsIn = records
	return err
}

// streamReduce feeds the merged records, sorted and so grouped by key, to
// the reduce phase's command and writes the lines it prints.
func (a *attempt) streamReduce(ctx context.Context, m *merger, w *partWriter) error {
	env := []string{"DOCKMR_PARTITION=" + strconv.Itoa(a.index)}
	f := a.mapOutputFraming()
	var buf []byte
	feed := func(stdin io.Writer) error {
		for {
			rec, err := m.next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			a.manifest.Counters.RecordsIn++
			rec = f.reduceInput(rec, &buf)
			if _, err := stdin.Write(rec); err != nil {
				return err
			}
		}
	}
	return a.runStream(ctx, "reducer", a.plan.Job.Reduce, env, feed, newOutputFields(w, a.plan.Job.Keys))
}
