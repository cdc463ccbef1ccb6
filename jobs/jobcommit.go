package jobs

import (
	"context"
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
	if p.Job.OutputURL != "" {
		if err := p.checkS3Output(context.Background()); err != nil {
			return false, err
		}
		if err := p.OpenStaging(); err != nil {
			return false, err
		}
	}
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
		if !p.Job.Settings.Overwrite && !onlyHistory(out) {
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

// onlyHistory reports whether an output directory holds nothing but the
// history of jobs that failed there: no output to protect.
func onlyHistory(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if e.Name() != HistoryDir {
			return false
		}
	}
	return len(entries) > 0
}

// makeStaging creates the staging directories open to every user: the
// tasks write their attempts there, and dockmr-driver runs them as an
// unprivileged user (nobody by default), not as whoever submits the job.
func (p *Plan) makeStaging() error {
	for _, dir := range []string{"", "attempts", "tasks"} {
		path := filepath.Join(p.StagingDir(), dir)
		if err := os.MkdirAll(path, 0o755); err != nil {
			return fmt.Errorf("create staging directory: %w", err)
		}
		if err := os.Chmod(path, 0o777); err != nil {
			return fmt.Errorf("open staging directory to the tasks' user: %w", err)
		}
	}
	if p.Job.Settings.Shuffle == NodeShuffle {
		if err := p.writeShuffleSecret(); err != nil {
			return err
		}
	}
	return p.write()
}

// commit commits a job whose tasks have all committed: it adds up their
// counters, moves the output tasks' part files into the output directory,
// writes _SUCCESS and removes the staging directory. _SUCCESS is written
// into the staging directory first, so that only renames touch the output:
// a full disk fails the job before any part file moves, and a rename that
// fails takes back the part files moved before it.
//
// A commit that finds _SUCCESS already staged resumes one that was cut
// short (its process killed between renames): the part files it had moved
// are left in place rather than cleared or looked for again.
func (p *Plan) commit() (*Result, error) {
	if p.Job.OutputURL != "" {
		return p.commitS3()
	}
	res, outputs, err := p.collect()
	if err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("commit: encode result: %w", err)
	}
	success := filepath.Join(p.StagingDir(), SuccessFile)
	_, err = os.Stat(success)
	resuming := err == nil
	if err := os.WriteFile(success, append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	moves, err := p.outputMoves(outputs)
	if err != nil {
		return nil, err
	}
	moves = append(moves, move{from: success, to: filepath.Join(p.Job.Output, SuccessFile)})
	var moved []move
	if resuming {
		moves, moved = movedAlready(moves)
	}
	if p.Job.Settings.Overwrite {
		if err := p.clearOutput(moved); err != nil {
			return nil, err
		}
	}
	for _, mv := range moves {
		if err := os.Rename(mv.from, mv.to); err != nil {
			for _, done := range moved {
				os.Remove(done.to)
			}
			return nil, fmt.Errorf("commit: %w", err)
		}
		moved = append(moved, mv)
	}
	p.removeStaging()
	return res, nil
}

// move is one rename of a job commit.
type move struct{ from, to string }

// outputMoves lists the renames that move the output tasks' part files
// into the output directory.
func (p *Plan) outputMoves(outputs []*Manifest) ([]move, error) {
	var moves []move
	for i, m := range outputs {
		for _, f := range m.Files {
			if f == "" || filepath.Base(f) != f {
				return nil, fmt.Errorf("commit: %s lists output file %q, which is not a plain file name", m.Task, f)
			}
			moves = append(moves, move{from: filepath.Join(p.TaskDir(p.OutputKind(), i), f), to: filepath.Join(p.Job.Output, f)})
		}
	}
	return moves, nil
}

// movedAlready splits the renames of a resumed commit into those still to
// do and those the cut-short commit did: the file is gone from the staging
// directory and in the output.
func movedAlready(moves []move) (todo, done []move) {
	for _, mv := range moves {
		_, errFrom := os.Lstat(mv.from)
		_, errTo := os.Lstat(mv.to)
		if errors.Is(errFrom, fs.ErrNotExist) && errTo == nil {
			done = append(done, mv)
		} else {
			todo = append(todo, mv)
		}
	}
	return todo, done
}

// collect reads the manifests of all tasks, adds up their counters, and
// returns those of the tasks whose part files are the output.
func (p *Plan) collect() (*Result, []*Manifest, error) {
	res := &Result{ID: p.ID, Name: p.Job.Name, Output: p.Job.Output}
	var outputs []*Manifest
	for _, kind := range []TaskKind{MapTask, ReduceTask} {
		for i := range p.Tasks(kind) {
			m, err := p.ReadManifest(kind, i)
			if err != nil {
				return nil, nil, fmt.Errorf("commit: %w", err)
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
	res.Checksum = res.Map.Checksum
	if p.OutputKind() == ReduceTask {
		res.Checksum = res.Reduce.Checksum
	}
	res.Elapsed = time.Since(p.Created)
	return res, outputs, nil
}

// clearOutput removes the previous contents of an output directory that
// the job overwrites, but not the staging directories, the history, nor
// the part files a resumed commit had moved in already.
func (p *Plan) clearOutput(keep []move) error {
	entries, err := os.ReadDir(p.Job.Output)
	if err != nil {
		return fmt.Errorf("commit: clear previous output: %w", err)
	}
	kept := map[string]bool{TemporaryDir: true, HistoryDir: true}
	for _, mv := range keep {
		kept[filepath.Base(mv.to)] = true
	}
	for _, e := range entries {
		if kept[e.Name()] {
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
	if p.Job.OutputURL != "" {
		if err := p.abortS3(); err != nil {
			return err
		}
	}
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
