package jobs

import "fmt"

// validateCombiner checks the combiner: a command over lines, in a job
// that has reduces.
func (j *Job) validateCombiner() error {
	c := j.Combiner
	if c == nil {
		return nil
	}
	switch {
	case c.Func != Stream || len(c.Command) == 0 || c.Command[0] == "":
		return fmt.Errorf("combiner: func %q with command %q: a combiner is a command (func %q)", c.Func, c.Command, Stream)
	case j.Reduce == nil || j.Reduce.Tasks == 0:
		return fmt.Errorf("combiner %q: a map-only job has nothing to combine; add a reduce phase or drop the combiner", c.Command)
	case j.Map.Func != Stream && (j.Map.Func != Identity || j.Input.Records != Lines):
		return fmt.Errorf("combiner %q: map output of func %q is not key<TAB>value lines; a combiner needs a map of func %q or an identity map over %q records",
			c.Command, j.Map.Func, Stream, Lines)
	}
	return nil
}
