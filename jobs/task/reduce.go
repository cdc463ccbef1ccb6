package task

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"time"

	"github.com/dockmr/dockmr/internal/telemetry"
	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/shuffle"
)

// runReduce runs a reduce task: it merges its partition's sorted runs from
// every map and applies the phase's function to the merged records.
func (a *attempt) runReduce(ctx context.Context) error {
	if err := a.checkKeys(); err != nil {
		return err
	}
	read := a.step("read")
	runs, err := a.mapRuns(ctx)
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

// mapRuns returns this reduce's partition of every map's output: read in
// place when it is in the shared storage or on this node, fetched from
// the map's node otherwise. With slowstart the maps may still run: each
// map's output is taken as soon as it commits.
func (a *attempt) mapRuns(ctx context.Context) ([]run, error) {
	maps := a.plan.Tasks(jobs.MapTask)
	runs := make([]run, maps)
	attempts := map[int]string{}
	taken := make([]bool, maps)
	left := maps
	fetches := newFetchQueue(ctx, a, runs)
	for {
		var batch []shuffle.Source
		for i := range maps {
			if taken[i] {
				continue
			}
			m, err := a.plan.ReadManifest(jobs.MapTask, i)
			if err != nil && a.plan.Job.Settings.SlowStart > 0 {
				continue // not committed yet
			}
			if err != nil {
				return nil, fmt.Errorf("map output: %w", err)
			}
			taken[i], left = true, left-1
			src, err := a.takeSegment(i, m, runs)
			if err != nil {
				return nil, err
			}
			if src != nil {
				batch = append(batch, *src)
				attempts[i] = m.Attempt
			}
		}
		fetches.add(batch)
		if left == 0 {
			break
		}
		select {
		case <-ctx.Done():
			_ = fetches.wait() // cancelled: ctx's error is the one
			return nil, ctx.Err()
		case <-time.After(mapPoll):
		}
	}
	err := fetches.wait()
	var lost *shuffle.LostError
	if errors.As(err, &lost) {
		return nil, a.reportLost(lost, attempts)
	}
	if err != nil {
		return nil, err
	}
	out := runs[:0]
	for _, r := range runs {
		if r.length > 0 {
			out = append(out, r)
		}
	}
	return out, nil
}

// mapPoll is how often a reduce started early looks for maps that have
// committed.
const mapPoll = 100 * time.Millisecond

// takeSegment counts map i's segment for this reduce and either sets its
// run, read in place, or returns it as a source to fetch.
func (a *attempt) takeSegment(i int, m *jobs.Manifest, runs []run) (*shuffle.Source, error) {
	if len(m.Segments) != a.plan.Reduces() {
		return nil, fmt.Errorf("map output of %s has %d partitions, want %d", m.Task, len(m.Segments), a.plan.Reduces())
	}
	seg := m.Segments[a.index]
	c := &a.manifest.Counters
	c.BytesIn += uint64(seg.Length)
	c.ShuffleBytes += uint64(seg.Length)
	if seg.Length == 0 {
		return nil, nil
	}
	path := filepath.Join(a.plan.TaskDir(jobs.MapTask, i), jobs.MapOutputFile)
	switch loc := m.Shuffle; {
	case loc == nil:
	case loc.Addr == a.shuffle.Addr && a.shuffle.Dir != "":
		path = a.store().OutputPath(a.plan.ID, m.Attempt)
		c.ShuffleLocalBytes += uint64(seg.Length)
	default:
		c.ShuffleRemoteBytes += uint64(seg.Length)
		return &shuffle.Source{Map: i, Addr: loc.Addr, Attempt: m.Attempt, Length: seg.Length}, nil
	}
	runs[i] = run{path: path, offset: seg.Offset, length: seg.Length}
	return nil, nil
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
