package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// stage creates the output and staging directories and writes the plan
// file. It refuses an existing output directory unless the job may
// overwrite it, and reports whether it created the output directory.
func (p *Plan) stage() (created bool, err error) {
	out := p.Job.Output
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return false, fmt.Errorf("create output directory: %w", err)
	}
	err = os.Mkdir(out, 0o755)
	switch {
	case err == nil:
		created = true
	case errors.Is(err, fs.ErrExist):
		if st, err := os.Stat(out); err != nil || !st.IsDir() {
			return false, fmt.Errorf("output %s exists and is not a directory", out)
		}
		if !p.Job.Settings.Overwrite {
			return false, fmt.Errorf("%w: %s", ErrOutputExists, out)
		}
	default:
		return false, fmt.Errorf("create output directory: %w", err)
	}
	err = p.makeStaging()
	if err != nil {
		return false, errors.Join(err, p.abort(created))
	}
	return created, nil
}

func (p *Plan) makeStaging() error {
	for _, dir := range []string{"attempts", "tasks"} {
		if err := os.MkdirAll(filepath.Join(p.StagingDir(), dir), 0o755); err != nil {
			return fmt.Errorf("create staging directory: %w", err)
		}
	}
	return p.write()
}

// commit commits a job whose tasks have all committed: it adds up their
// counters, moves the output tasks' part files into the output directory,
// writes _SUCCESS and removes the staging directory.
func (p *Plan) commit() (*Result, error) {
	res := &Result{ID: p.ID, Name: p.Job.Name, Output: p.Job.Output}
	var outputs []*Manifest
	for _, kind := range []TaskKind{MapTask, ReduceTask} {
		for i := range p.Tasks(kind) {
			m, err := p.ReadManifest(kind, i)
			if err != nil {
				return nil, fmt.Errorf("commit: %w", err)
			}
			if kind == MapTask {
				res.Map.Add(m.Counters)
			} else {
				res.Reduce.Add(m.Counters)
			}
			if kind == p.OutputKind() {
				outputs = append(outputs, m)
			}
		}
	}
	if p.Job.Settings.Overwrite {
		if err := p.clearOutput(); err != nil {
			return nil, err
		}
	}
	for i, m := range outputs {
		if err := p.moveParts(p.OutputKind(), i, m.Files); err != nil {
			return nil, err
		}
	}
	res.Checksum = res.Map.Checksum
	if p.OutputKind() == ReduceTask {
		res.Checksum = res.Reduce.Checksum
	}
	res.Elapsed = time.Since(p.Created)
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("commit: encode result: %w", err)
	}
	if err := os.WriteFile(filepath.Join(p.Job.Output, SuccessFile), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	p.removeStaging()
	return res, nil
}

// moveParts moves a committed task's part files into the output directory.
func (p *Plan) moveParts(kind TaskKind, index int, files []string) error {
	for _, f := range files {
		if f == "" || filepath.Base(f) != f {
			return fmt.Errorf("commit: %s lists output file %q, which is not a plain file name", TaskName(kind, index), f)
		}
		if err := os.Rename(filepath.Join(p.TaskDir(kind, index), f), filepath.Join(p.Job.Output, f)); err != nil {
			return fmt.Errorf("commit: %w", err)
		}
	}
	return nil
}

// clearOutput removes the previous contents of an output directory that
// the job overwrites, but not the staging directories.
func (p *Plan) clearOutput() error {
	entries, err := os.ReadDir(p.Job.Output)
	if err != nil {
		return fmt.Errorf("commit: clear previous output: %w", err)
	}
	for _, e := range entries {
		if e.Name() == TemporaryDir {
			continue
		}
		if err := os.RemoveAll(filepath.Join(p.Job.Output, e.Name())); err != nil {
			return fmt.Errorf("commit: clear previous output: %w", err)
		}
	}
	return nil
}

// abort removes what a failed job wrote: its staging directory, and the
// output directory if the job created it and nothing else is in it.
func (p *Plan) abort(created bool) error {
	if err := os.RemoveAll(p.StagingDir()); err != nil {
		return fmt.Errorf("abort: %w", err)
	}
	p.removeStaging()
	if created {
		os.Remove(p.Job.Output) // fails harmlessly if something else is there
	}
	return nil
}

// removeStaging removes the staging directory, and the temporary directory
// above it unless other jobs' staging directories are in it. Leftovers
// (an attempt still running) do not fail the job, whose output is final.
func (p *Plan) removeStaging() {
	os.RemoveAll(p.StagingDir())
	os.Remove(filepath.Join(p.Job.Output, TemporaryDir))
}
