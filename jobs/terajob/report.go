package terajob

import (
	"bufio"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/tera"
)

// Report is what a TeraValidate job found, read back from its output.
type Report struct {
	Path     string // the report file
	Checksum tera.Checksum
	Errors   []string
}

// OK reports whether the validated files are sorted and whole.
func (r Report) OK() bool { return len(r.Errors) == 0 }

// ReadReport reads the report that a TeraValidate job wrote into dir: a
// "checksum\t<hex>" line and an "error\t<message>" line per error.
func ReadReport(dir string) (Report, error) {
	rep := Report{Path: filepath.Join(dir, jobs.PartName(jobs.ReduceTask, 0))}
	f, err := openReport(dir, &rep)
	if err != nil {
		return rep, fmt.Errorf("read validation report: %w", err)
	}
	defer f.Close()
	sawSum := false
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		kind, text, _ := strings.Cut(sc.Text(), "\t")
		switch kind {
		case "checksum":
			if rep.Checksum, err = tera.ParseChecksum(text); err != nil {
				return rep, fmt.Errorf("validation report %s line %d: %w", rep.Path, line, err)
			}
			sawSum = true
		case "error":
			rep.Errors = append(rep.Errors, text)
		default:
			return rep, fmt.Errorf("validation report %s line %d: %q is neither a checksum nor an error", rep.Path, line, sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		return rep, fmt.Errorf("read validation report %s: %w", rep.Path, err)
	}
	if !sawSum {
		return rep, errors.New("validation report " + rep.Path + " has no checksum line")
	}
	return rep, nil
}
