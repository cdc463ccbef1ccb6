package history

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dockmr/dockmr/jobs"
)

// Path is where the history of job id with output directory output is
// kept: OUTPUT/_history/ID.json.
func Path(output, id string) string {
	return filepath.Join(output, jobs.HistoryDir, id+".json")
}

// Write writes a record to its place beside the job's output, atomically:
// a reader sees the old file or the whole new one.
func Write(rec *Record) error {
	path := Path(rec.Output, rec.ID)
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Errorf("history of job %s: encode: %w", rec.ID, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("history of job %s: %w", rec.ID, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+rec.ID+".*.tmp")
	if err != nil {
		return fmt.Errorf("history of job %s: %w", rec.ID, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("history of job %s: write %s: %w", rec.ID, tmp.Name(), err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("history of job %s: %w", rec.ID, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("history of job %s: write %s: %w", rec.ID, tmp.Name(), err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("history of job %s: %w", rec.ID, err)
	}
	return nil
}

// Read reads a history file. Its errors name the file.
func Read(path string) (*Record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read job history: %w", err)
	}
	var rec Record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("job history %s is corrupt: %w", path, err)
	}
	if rec.Version < 1 || rec.Version > Version || rec.ID == "" {
		return nil, fmt.Errorf("job history %s: version %d, job %q: not a history this dockmr writes (version 1 to %d, with a job ID)",
			path, rec.Version, rec.ID, Version)
	}
	for i, a := range rec.Attempts {
		if _, err := jobs.ParseTaskKind(string(a.Phase)); err != nil || a.Task < 0 {
			return nil, fmt.Errorf("job history %s: attempts[%d]: phase %q, task %d: want a map or reduce task with an index from 0",
				path, i, a.Phase, a.Task)
		}
	}
	return &rec, nil
}

// Locate finds a history file from what a user gave: a history file, or an
// output directory, whose newest history it returns (the one of the job
// that ended last), or that of job id when id is not empty.
func Locate(path, id string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("job history: %w", err)
	}
	if !st.IsDir() {
		return path, nil
	}
	if id != "" {
		return Path(path, id), nil
	}
	dir := filepath.Join(path, jobs.HistoryDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s holds no job history (no %s directory): is it a job's output directory?", path, jobs.HistoryDir)
	}
	if err != nil {
		return "", fmt.Errorf("job history: %w", err)
	}
	newest, newestTime := "", time.Time{}
	for _, e := range entries {
		n := e.Name()
		if !strings.HasSuffix(n, ".json") || strings.HasPrefix(n, ".") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		if t := info.ModTime(); newest == "" || t.After(newestTime) || t.Equal(newestTime) && n > newest {
			newest, newestTime = n, t
		}
	}
	if newest == "" {
		return "", fmt.Errorf("%s holds no job history file", dir)
	}
	return filepath.Join(dir, newest), nil
}
