package jobs

import (
	"bytes"
	"fmt"

	"github.com/dockmr/dockmr/storage"
	"github.com/dockmr/dockmr/tera"
)

// maxSortMB keeps sort buffer offsets within 32 bits.
const maxSortMB = 4095

// Validate checks that the job is complete and consistent. Its errors name
// the field at fault, its value, and what would be accepted.
func (j *Job) Validate() error {
	if j.Name == "" {
		return fmt.Errorf("job name is empty; give the job a name")
	}
	if j.Output == "" {
		return fmt.Errorf("job %q: output is empty; name the directory to write to", j.Name)
	}
	if _, err := storage.Parse("output", j.Output); err != nil {
		return fmt.Errorf("job %q: %w", j.Name, err)
	}
	if err := j.validateInput(); err != nil {
		return fmt.Errorf("job %q: %w", j.Name, err)
	}
	if err := j.validateMap(); err != nil {
		return fmt.Errorf("job %q: map: %w", j.Name, err)
	}
	if j.Reduce != nil {
		if err := j.validateReduce(); err != nil {
			return fmt.Errorf("job %q: reduce: %w", j.Name, err)
		}
	}
	if !j.Keys.Default() && (j.Map.Func == TeraGen || j.Input.Records == TeraRecords && j.Map.Func != Stream) {
		return fmt.Errorf("job %q: keys: key options apply to lines; map output of func %q over %q records is not lines", j.Name, j.Map.Func, j.Input.Records)
	}
	if err := j.Keys.validate(j.Partitioner); err != nil {
		return fmt.Errorf("job %q: %w", j.Name, err)
	}
	if err := j.validateCombiner(); err != nil {
		return fmt.Errorf("job %q: %w", j.Name, err)
	}
	if err := j.validatePartitioner(true); err != nil {
		return fmt.Errorf("job %q: partitioner: %w", j.Name, err)
	}
	if err := j.Settings.validate(); err != nil {
		return fmt.Errorf("job %q: %w", j.Name, err)
	}
	return nil
}

func (j *Job) validateInput() error {
	in := j.Input
	switch {
	case len(in.Paths) == 0 && in.Rows == 0:
		return fmt.Errorf("input is empty: give input paths or a number of rows")
	case len(in.Paths) > 0 && in.Rows > 0:
		return fmt.Errorf("input has both paths %q and rows %d; give one or the other", in.Paths, in.Rows)
	case len(in.Paths) > 0 && in.Records != TeraRecords && in.Records != Lines:
		return fmt.Errorf("input records %q is not supported: use %q or %q", in.Records, TeraRecords, Lines)
	}
	for i, p := range in.Paths {
		if p == "" {
			return fmt.Errorf("input has an empty path")
		}
		if _, err := storage.Parse(fmt.Sprintf("input %d", i+1), p); err != nil {
			return err
		}
	}
	return nil
}

func (j *Job) validateMap() error {
	m := j.Map
	if m.Tasks < 0 {
		return fmt.Errorf("tasks %d is negative; want at least 1, or 0 to let planning decide", m.Tasks)
	}
	switch m.Func {
	case Identity, Stream, TeraGen, TeraValidate:
	default:
		return fmt.Errorf("func %q is not a map function: use %q, %q, %q or %q",
			m.Func, Identity, Stream, TeraGen, TeraValidate)
	}
	if err := m.validateFunc(); err != nil {
		return err
	}
	switch m.Func {
	case TeraGen:
		if j.Input.Rows == 0 {
			return fmt.Errorf("func %q needs rows as input, not files", m.Func)
		}
		if j.Reduce != nil {
			return fmt.Errorf("func %q writes the job's output; the job must have no reduce phase", m.Func)
		}
	case TeraValidate:
		if j.Input.Records != TeraRecords || len(j.Input.Paths) == 0 {
			return fmt.Errorf("func %q needs files of %q records as input", m.Func, TeraRecords)
		}
		if j.Reduce == nil || j.Reduce.Func != TeraValidate {
			return fmt.Errorf("func %q needs a reduce phase of func %q", m.Func, TeraValidate)
		}
	}
	if j.Input.Rows > 0 && m.Func != TeraGen {
		return fmt.Errorf("func %q reads files; rows as input need func %q", m.Func, TeraGen)
	}
	return nil
}

func (j *Job) validateReduce() error {
	r := j.Reduce
	if r.Tasks < 1 {
		return fmt.Errorf("tasks %d: want at least 1", r.Tasks)
	}
	switch r.Func {
	case Identity, Stream, TeraValidate:
	default:
		return fmt.Errorf("func %q is not a reduce function: use %q, %q or %q", r.Func, Identity, Stream, TeraValidate)
	}
	if err := r.validateFunc(); err != nil {
		return err
	}
	switch r.Func {
	case Identity, Stream:
		if j.Map.Func == TeraValidate {
			return fmt.Errorf("func %q cannot follow a map of func %q; use %q", r.Func, TeraValidate, TeraValidate)
		}
	case TeraValidate:
		if j.Map.Func != TeraValidate {
			return fmt.Errorf("func %q needs a map phase of func %q", r.Func, TeraValidate)
		}
		if r.Tasks != 1 {
			return fmt.Errorf("func %q checks order across all files in one task; tasks is %d, want 1", r.Func, r.Tasks)
		}
	}
	return nil
}

// validateFunc checks the fields that depend on the phase's func.
func (p *Phase) validateFunc() error {
	switch p.Func {
	case Stream:
		if len(p.Command) == 0 || p.Command[0] == "" {
			return fmt.Errorf("func %q needs a command", p.Func)
		}
	case TeraGen:
		if _, err := tera.ParseFormat(p.Format); err != nil {
			return fmt.Errorf("format: %w", err)
		}
	}
	if p.Func != Stream && len(p.Command) > 0 {
		return fmt.Errorf("command %q is only for func %q, not %q", p.Command, Stream, p.Func)
	}
	return nil
}

func (j *Job) validatePartitioner(unsampled bool) error {
	p := j.Partitioner
	switch p.Kind {
	case "", HashPartition:
		if len(p.Cuts) > 0 {
			return fmt.Errorf("kind %q takes no cut points", HashPartition)
		}
	case TotalOrder:
		reduces := 1
		if j.Reduce != nil {
			reduces = j.Reduce.Tasks
		}
		// Cut points are often sampled from the input after planning; Run
		// checks their number then.
		if len(p.Cuts) != reduces-1 && (p.Cuts != nil || !unsampled) {
			return fmt.Errorf("%d cut points for %d reduce tasks; want %d", len(p.Cuts), reduces, reduces-1)
		}
		for i := 1; i < len(p.Cuts); i++ {
			if bytes.Compare(p.Cuts[i-1], p.Cuts[i]) > 0 {
				return fmt.Errorf("cut point %d (%x) sorts before cut point %d (%x); cut points must be in order",
					i, p.Cuts[i], i-1, p.Cuts[i-1])
			}
		}
	default:
		return fmt.Errorf("kind %q is not supported: use %q or %q", p.Kind, HashPartition, TotalOrder)
	}
	return nil
}

func (s Settings) validate() error {
	if s.SortMB < 0 || s.SortMB > maxSortMB {
		return fmt.Errorf("sort_mb %d is out of range; want 1 to %d (MiB), or 0 for the default %d",
			s.SortMB, maxSortMB, DefaultSortMB)
	}
	if s.MergeFactor < 0 || s.MergeFactor == 1 {
		return fmt.Errorf("merge_factor %d: want at least 2 runs per merge, or 0 for the default %d",
			s.MergeFactor, DefaultMergeFactor)
	}
	if s.MaxAttempts < 0 {
		return fmt.Errorf("max_attempts %d is negative; want at least 1, or 0 for the default %d",
			s.MaxAttempts, DefaultMaxAttempts)
	}
	if err := s.OutputCodec.validOutput(); err != nil {
		return fmt.Errorf("output_codec: %w", err)
	}
	if s.Shuffle != "" {
		if _, err := ParseShuffleMode(string(s.Shuffle)); err != nil {
			return err
		}
	}
	if s.SlowStart < 0 || s.SlowStart > 1 {
		return fmt.Errorf("slowstart %g is out of range; want a fraction of the maps from 0 to 1", s.SlowStart)
	}
	if s.SlowStart > 0 && s.Shuffle != NodeShuffle {
		return fmt.Errorf("slowstart %g needs shuffle %q: with the shared shuffle reduces start after the last map", s.SlowStart, NodeShuffle)
	}
	return nil
}
