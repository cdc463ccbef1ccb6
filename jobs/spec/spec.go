// Package spec reads job specs: HCL files that describe streaming jobs,
// whose mapper and reducer are commands reading records on stdin and
// writing key<TAB>value lines on stdout (Hadoop Streaming's contract).
//
//	job "wordcount" {
//	  image   = "dockmr/examples:dev" # the tasks' container image
//	  input   = ["input"]             # files or directories
//	  output  = "out"
//	  records = "lines"               # or "tera": 100-byte records
//
//	  map {
//	    command = "tr -s ' ' '\\n' | awk 'NF { print $0 \"\\t1\" }'"
//	    tasks   = 2               # a hint; default one per 128 MiB
//	  }
//	  combiner {                  # optional: run over each map's sorted output
//	    command = "awk -f sum.awk" # reads and prints key<TAB>value lines
//	  }
//	  reduce {                    # optional: without it, maps write the output
//	    command = "cut -f 1 | uniq -c"
//	    tasks   = 1
//	    env     = { LC_ALL = "C" }
//	  }
//	  keys {                      # optional: Hadoop Streaming's key options
//	    map_separator     = "."   # stream.map.output.field.separator
//	    map_key_fields    = 4     # stream.num.map.output.key.fields
//	    field_separator   = "."   # mapreduce.map.output.key.field.separator
//	    partition         = "-k1,2"   # KeyFieldBasedPartitioner's options
//	    compare           = "-k2,2nr" # KeyFieldBasedComparator's options
//	    reduce_separator  = "."   # stream.reduce.output.field.separator
//	    reduce_key_fields = 1     # stream.num.reduce.output.key.fields
//	  }
//	  settings {                  # optional
//	    sort_mb      = 256
//	    merge_factor = 64
//	    max_attempts = 2
//	    overwrite    = false
//	    cache_output = false      # write output through the page cache
//	    output_codec = "gzip"     # or "zstd": part-r-00000.gz; default none
//	  }
//	  properties = {              # optional: Hadoop's -D properties
//	    "mapreduce.output.fileoutputformat.compress" = "true"
//	  }
//	}
//
// Input files named *.gz, *.bz2 or *.zst are decompressed for the mapper,
// each read whole by one map task. A command is a list of arguments, or a string run by /bin/sh -c. A phase
// without a command passes records through unchanged. Relative paths are
// relative to the spec file's directory. Errors give the file, line and
// column at fault.
package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"

	"github.com/dockmr/dockmr/jobs"
)

// Error is a job spec that cannot be read, with the position of each
// problem.
type Error struct{ Diags hcl.Diagnostics }

// Error describes the first problem as file:line:column: summary: detail,
// and says how many more there are.
func (e *Error) Error() string {
	errs := e.Diags.Errs()
	if len(errs) == 0 {
		return "job spec: no error"
	}
	msg := describe(e.Diags[0])
	for _, d := range e.Diags {
		if d.Severity == hcl.DiagError {
			msg = describe(d)
			break
		}
	}
	if len(errs) > 1 {
		msg += fmt.Sprintf(" (and %d more errors)", len(errs)-1)
	}
	return msg
}

func describe(d *hcl.Diagnostic) string {
	msg := d.Summary
	if d.Detail != "" {
		msg += ": " + strings.TrimSuffix(d.Detail, ".")
	}
	if d.Subject == nil {
		return msg
	}
	return fmt.Sprintf("%s:%d:%d: %s", d.Subject.Filename, d.Subject.Start.Line, d.Subject.Start.Column, msg)
}

// Load reads a job spec file.
func Load(path string) (jobs.Job, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return jobs.Job{}, fmt.Errorf("job spec: %w", err)
	}
	return Parse(src, path, filepath.Dir(path))
}

// Parse parses a job spec. filename names it in errors; relative paths in
// it are taken relative to dir.
func Parse(src []byte, filename, dir string) (jobs.Job, error) {
	file, diags := hclparse.NewParser().ParseHCL(src, filename)
	if diags.HasErrors() {
		return jobs.Job{}, &Error{diags}
	}
	d := &decoder{dir: dir}
	job := d.file(file)
	if d.diags.HasErrors() {
		return jobs.Job{}, &Error{d.diags}
	}
	return job, nil
}
