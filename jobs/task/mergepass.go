package task

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
)

// openMerge returns a merger over runs. While there are more runs than the
// job's merge factor, it first merges consecutive groups of them into
// intermediate runs in the attempt directory, so that a merge never reads
// more than merge-factor runs at once; closing a merger removes the
// intermediate runs it read.
func (a *attempt) openMerge(runs []run, f framing) (*merger, error) {
	factor := a.plan.Job.Settings.MergeFactor
	for len(runs) > factor {
		var next []run
		for i := 0; i < len(runs); i += factor {
			group := runs[i:min(i+factor, len(runs))]
			if len(group) == 1 {
				next = append(next, group[0])
				continue
			}
			merged, err := a.mergeToFile(group, f)
			if err != nil {
				return nil, err
			}
			next = append(next, merged)
		}
		runs = next
	}
	readers := make([]*runReader, 0, len(runs))
	for _, r := range runs {
		rr, err := openRun(r, f)
		if err != nil {
			for _, rr := range readers {
				rr.close()
			}
			return nil, err
		}
		readers = append(readers, rr)
	}
	return newMerger(readers)
}

// mergeToFile merges runs into a new intermediate run.
func (a *attempt) mergeToFile(runs []run, f framing) (run, error) {
	m, err := a.openMerge(runs, f)
	if err != nil {
		return run{}, err
	}
	defer m.close()
	out := run{path: a.tempPath("merge"), temp: true}
	file, err := os.Create(out.path)
	if err != nil {
		return run{}, fmt.Errorf("merge: %w", err)
	}
	w := bufio.NewWriterSize(file, ioBufSize)
	n, _, err := copyRecords(w, m)
	if err == nil {
		err = w.Flush()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return run{}, fmt.Errorf("merge into %s: %w", out.path, err)
	}
	a.manifest.Counters.Spills++
	out.length = n
	return out, nil
}

// copyRecords writes every record of a merge to w.
func copyRecords(w io.Writer, m *merger) (n int64, records uint64, err error) {
	for {
		rec, err := m.next()
		if errors.Is(err, io.EOF) {
			return n, records, nil
		}
		if err != nil {
			return n, records, err
		}
		if _, err := w.Write(rec); err != nil {
			return n, records, err
		}
		n += int64(len(rec))
		records++
	}
}
