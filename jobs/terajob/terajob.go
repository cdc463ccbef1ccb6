// Package terajob builds dockmr's Hadoop-compatible TeraGen, TeraSort and
// TeraValidate jobs out of the record logic of package tera: TeraGen is a
// map-only job whose maps generate row ranges, TeraSort samples its input
// for cut points and sorts with identity map and reduce under a total-order
// partitioner, and TeraValidate checks each split in a map and the order
// across splits and files in a single reduce.
package terajob

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/tera"
)

// SampleSize is how many keys TeraSort samples for its cut points, as
// Hadoop's mapreduce.terasort.partitions.sample.
const SampleSize = 100000

// ParseRows parses a number of rows: digits with an optional k, m, b or t
// suffix for thousands, millions, billions or trillions.
func ParseRows(s string) (uint64, error) {
	digits, mult := s, uint64(1)
	if n := len(s); n > 0 {
		if i := strings.IndexByte("kmbt", lower(s[n-1])); i >= 0 {
			digits, mult = s[:n-1], uint64(math.Pow10(3*(i+1)))
		}
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("rows %q is not a number: want digits with an optional k, m, b or t suffix (powers of 1000), like 10m", s)
	}
	hi, rows := bits.Mul64(n, mult)
	if hi != 0 {
		return 0, fmt.Errorf("rows %q is too large: at most %d", s, uint64(math.MaxUint64))
	}
	if rows == 0 {
		return 0, fmt.Errorf("rows %q: want at least 1 row", s)
	}
	return rows, nil
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// Gen describes a TeraGen job.
type Gen struct {
	Rows     uint64
	Format   tera.Format
	Output   string
	Maps     int // 0 means 1
	Settings jobs.Settings
}

// Job returns the TeraGen job: a map-only job over the rows whose map i
// writes part-m-%05d with rows [ceil(rows·i/maps), ceil(rows·(i+1)/maps)).
// It writes through the page cache, where TeraSort usually reads it next.
func (g Gen) Job() jobs.Job {
	g.Settings.CacheOutput = true
	return jobs.Job{
		Name:     "teragen",
		Input:    jobs.Input{Rows: g.Rows},
		Output:   g.Output,
		Map:      jobs.Phase{Func: jobs.TeraGen, Tasks: max(g.Maps, 1), Format: g.Format.String()},
		Settings: g.Settings,
	}
}

// Plan plans the TeraGen job.
func (g Gen) Plan() (*jobs.Plan, error) { return jobs.NewPlan(g.Job()) }

// Sort describes a TeraSort job.
type Sort struct {
	Input    []string
	Output   string
	Maps     int // a hint; 0 lets planning decide
	Reduces  int // 0 means 1
	Settings jobs.Settings
}

// Plan plans the TeraSort job and samples its input for the cut points of
// its total-order partitioner, so that reduce r's part-r file holds the
// r-th range of keys.
func (s Sort) Plan() (*jobs.Plan, error) {
	reduces := max(s.Reduces, 1)
	plan, err := jobs.NewPlan(jobs.Job{
		Name:        "terasort",
		Input:       jobs.Input{Paths: s.Input, Records: jobs.TeraRecords},
		Output:      s.Output,
		Map:         jobs.Phase{Func: jobs.Identity, Tasks: s.Maps},
		Reduce:      &jobs.Phase{Func: jobs.Identity, Tasks: reduces},
		Partitioner: jobs.Partitioner{Kind: jobs.TotalOrder},
		Settings:    s.Settings,
	})
	if err != nil {
		return nil, err
	}
	keys, err := tera.SampleKeysFrom(inputSource{context.Background()}, plan.Job.Input.Paths, SampleSize)
	if err != nil {
		return nil, err
	}
	plan.Job.Partitioner.Cuts = tera.CutPoints(keys, reduces)
	return plan, nil
}

// Validate describes a TeraValidate job.
type Validate struct {
	Input    []string
	Output   string
	Maps     int // a hint; 0 lets planning decide
	Settings jobs.Settings
}

// Job returns the TeraValidate job, whose single reduce writes the report
// as part-r-00000.
func (v Validate) Job() jobs.Job {
	return jobs.Job{
		Name:     "teravalidate",
		Input:    jobs.Input{Paths: v.Input, Records: jobs.TeraRecords},
		Output:   v.Output,
		Map:      jobs.Phase{Func: jobs.TeraValidate, Tasks: v.Maps},
		Reduce:   &jobs.Phase{Func: jobs.TeraValidate, Tasks: 1},
		Settings: v.Settings,
	}
}

// Plan plans the TeraValidate job.
func (v Validate) Plan() (*jobs.Plan, error) { return jobs.NewPlan(v.Job()) }
