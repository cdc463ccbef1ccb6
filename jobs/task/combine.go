package task

import (
	"errors"
	"io"
)

// minSpillsForCombine is how many spills a map must have merged for the
// combiner to run again over the merge, as Hadoop's
// mapreduce.map.combine.minspills defaults to: with fewer, a second pass
// costs more than it saves.
const minSpillsForCombine = 3

// combining reports whether the job has a combiner.
func (a *attempt) combining() bool { return a.plan.Job.Combiner != nil }

// combine runs the combiner over one partition's sorted records, which
// next yields until io.EOF, and writes the lines it prints to w, as
// Hadoop runs a combiner over each partition of a spill: the combiner
// reads key<TAB>value lines sorted by key and prints key<TAB>value lines,
// which go to the reduces unsorted again, so it must print the keys it
// reads, in their order (a sum per key does). It returns the bytes and
// records written.
func (a *attempt) combine(next func() ([]byte, error), w io.Writer) (int64, uint64, error) {
	counters := &a.manifest.Counters
	feed := func(stdin io.Writer) error {
		for {
			rec, err := next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			counters.CombineInputRecords++
			if _, err := stdin.Write(rec); err != nil {
				return err
			}
		}
	}
	out := &countingEmitter{w: w}
	err := a.runStream(a.trace, "combiner", a.plan.Job.Combiner, nil, feed, out)
	counters.CombineOutputRecords += out.records
	return out.bytes, out.records, err
}

// countingEmitter writes records to w, counting them.
type countingEmitter struct {
	w       io.Writer
	bytes   int64
	records uint64
}

func (e *countingEmitter) emit(rec []byte) error {
	if _, err := e.w.Write(rec); err != nil {
		return err
	}
	e.bytes += int64(len(rec))
	e.records++
	return nil
}

// writeSorted writes one partition's sorted records to w, through the
// combiner if the job has one, returning the bytes and records written.
func (a *attempt) writeSorted(next func() ([]byte, error), w io.Writer, combine bool) (int64, uint64, error) {
	if combine {
		return a.combine(next, w)
	}
	var n int64
	var records uint64
	for {
		rec, err := next()
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

// entryRecords yields the records of sorted buffer entries.
func entryRecords(data []byte, entries []entry) func() ([]byte, error) {
	i := 0
	return func() ([]byte, error) {
		if i == len(entries) {
			return nil, io.EOF
		}
		e := entries[i]
		i++
		return data[e.off : e.off+e.n], nil
	}
}

// combineMerge reports whether the merge of a map's spills runs the
// combiner: if the job has one and the map spilled often enough.
func (a *attempt) combineMerge(spills int) bool {
	return a.combining() && spills >= minSpillsForCombine
}
