package task

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/shuffle"
)

// fetchQueue fetches batches of sources one after another in the
// background, each batch a few fetches at a time, into runs by map.
type fetchQueue struct {
	ctx   context.Context
	a     *attempt
	runs  []run
	queue chan []shuffle.Source
	done  chan error
}

func newFetchQueue(ctx context.Context, a *attempt, runs []run) *fetchQueue {
	q := &fetchQueue{ctx: ctx, a: a, runs: runs, queue: make(chan []shuffle.Source, 1024), done: make(chan error, 1)}
	go q.loop()
	return q
}

// add queues a batch; an empty one is ignored.
func (q *fetchQueue) add(batch []shuffle.Source) {
	if len(batch) > 0 {
		q.queue <- batch
	}
}

// loop fetches the batches; maps lost in any batch are reported together,
// any other failure ends the loop.
func (q *fetchQueue) loop() {
	var lost *shuffle.LostError
	for batch := range q.queue {
		got, err := q.a.fetch(q.ctx, batch)
		var le *shuffle.LostError
		switch {
		case errors.As(err, &le):
			if lost == nil {
				lost = &shuffle.LostError{}
			}
			lost.Maps, lost.Cause = append(lost.Maps, le.Maps...), le.Cause
		case err != nil:
			for range q.queue { // drain
			}
			q.done <- err
			return
		default:
			for i, s := range batch {
				q.runs[s.Map] = got[i]
			}
		}
	}
	if lost != nil {
		q.done <- lost
		return
	}
	q.done <- nil
}

// wait ends the queue and returns how its fetches went.
func (q *fetchQueue) wait() error {
	close(q.queue)
	return <-q.done
}

// fetch fetches the reduce's partition of the maps on other nodes. As
// Hadoop's MergeManager, it keeps segments in memory while they fit in
// the sort buffer and writes the rest to the node's disk; the merge reads
// both alike. Runs come back in map order, so the merge stays stable.
func (a *attempt) fetch(ctx context.Context, srcs []shuffle.Source) ([]run, error) {
	secret, err := a.plan.ShuffleSecret()
	if err != nil {
		return nil, err
	}
	if a.local == "" {
		// A reduce on a node without a shuffle directory spills fetched
		// segments in its attempt directory.
		a.work = a.dir
	}
	var mu sync.Mutex
	got := map[int]run{}
	budget := int64(a.sortBytes())
	used := &a.fetchedInMemory
	sink := func(src shuffle.Source, body io.Reader) error {
		mu.Lock()
		inMemory := *used+src.Length <= budget
		if inMemory {
			*used += src.Length
		}
		path := fmt.Sprintf("%s/fetched-m-%05d", a.work, src.Map)
		mu.Unlock()
		r, err := receive(body, src, path, inMemory)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			if inMemory {
				*used -= src.Length
			}
			return err
		}
		got[src.Map] = r
		return nil
	}
	f := &shuffle.Fetcher{Job: a.plan.ID, Secret: secret}
	fetching := a.step("fetch")
	err = f.Fetch(ctx, a.index, srcs, sink)
	endStep(fetching, err)
	if err != nil {
		return nil, err
	}
	runs := make([]run, 0, len(srcs))
	for _, s := range srcs {
		runs = append(runs, got[s.Map])
	}
	return runs, nil
}

// receive takes one segment's body into memory or into a file.
func receive(body io.Reader, src shuffle.Source, path string, inMemory bool) (run, error) {
	if inMemory {
		b := make([]byte, src.Length)
		if _, err := io.ReadFull(body, b); err != nil {
			return run{}, err
		}
		return run{path: fmt.Sprintf("of map %d", src.Map), data: b, length: src.Length}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return run{}, fmt.Errorf("spill fetched segment: %w", err)
	}
	n, err := io.Copy(f, body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return run{}, err
	}
	return run{path: path, length: n, temp: true}, nil
}

// reportLost tells the runner which maps' output could not be fetched,
// and fails the attempt with the fetcher's error.
func (a *attempt) reportLost(lost *shuffle.LostError, attempts map[int]string) error {
	r := jobs.LostReport{Reduce: a.manifest.Task, Attempt: a.id, Maps: lost.Maps, Reason: lost.Cause.Error()}
	for _, m := range lost.Maps {
		r.Attempts = append(r.Attempts, attempts[m])
	}
	if err := a.plan.ReportLost(r); err != nil {
		return fmt.Errorf("%w; and %w", lost, err)
	}
	return lost
}
