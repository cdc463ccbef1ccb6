package shuffle

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A node's shuffle directory holds, per job:
//
//	<job>/secret                the job's secret, which the server checks
//	<job>/<attempt>/map.out     one map attempt's sorted output
//	<job>/<attempt>/index.json  where each partition lies in map.out
//	<job>/.<attempt>.tmp/       an attempt still writing: never served
const (
	// OutputFile is a map attempt's sorted output in its directory.
	OutputFile = "map.out"
	// IndexFile locates each partition in OutputFile.
	IndexFile = "index.json"
	// SecretFile is the job's secret in the job's directory.
	SecretFile = "secret"
)

// Segment is one partition's byte range of a map attempt's output.
type Segment struct {
	Offset int64 `json:"offset"`
	Length int64 `json:"length"`
}

// Store is a node's shuffle directory.
type Store struct{ Dir string }

// JobDir is the directory of a job's data.
func (s Store) JobDir(job string) string { return filepath.Join(s.Dir, job) }

// AttemptDir is the directory of a map attempt's output once complete.
func (s Store) AttemptDir(job, attempt string) string {
	return filepath.Join(s.Dir, job, attempt)
}

// OutputPath is the path of a map attempt's complete output file.
func (s Store) OutputPath(job, attempt string) string {
	return filepath.Join(s.AttemptDir(job, attempt), OutputFile)
}

// StartAttempt creates the job's directory with its secret if it has
// none, and a temporary directory for the attempt, whose path it returns.
// The map writes OutputFile there and calls FinishAttempt.
func (s Store) StartAttempt(job, attempt, secret string) (string, error) {
	if err := CheckID("job", job); err != nil {
		return "", err
	}
	if err := CheckID("attempt", attempt); err != nil {
		return "", err
	}
	if err := CheckSecret(secret); err != nil {
		return "", err
	}
	jobDir := s.JobDir(job)
	if err := os.MkdirAll(jobDir, 0o700); err != nil {
		return "", fmt.Errorf("shuffle directory %s: %w; is the node's dockmr_shuffle_dir mounted and writable?", s.Dir, err)
	}
	if err := writeSecret(filepath.Join(jobDir, SecretFile), secret); err != nil {
		return "", err
	}
	tmp := filepath.Join(jobDir, "."+attempt+".tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return "", fmt.Errorf("shuffle directory of attempt %s: %w", attempt, err)
	}
	return tmp, nil
}

// writeSecret writes the job's secret unless the file holds it already;
// a different secret there is an error (two jobs cannot share an ID).
func writeSecret(path, secret string) error {
	secret = strings.TrimSpace(secret)
	if b, err := os.ReadFile(path); err == nil {
		if strings.TrimSpace(string(b)) != secret {
			return fmt.Errorf("shuffle secret %s holds another secret than the job's", path)
		}
		return nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".secret.*")
	if err != nil {
		return fmt.Errorf("write shuffle secret: %w", err)
	}
	defer os.Remove(f.Name())
	_, err = f.WriteString(secret + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// A concurrent map of the same job may link it first: same secret.
		err = os.Link(f.Name(), path)
		if errors.Is(err, fs.ErrExist) {
			return writeSecret(path, secret)
		}
	}
	if err != nil {
		return fmt.Errorf("write shuffle secret: %w", err)
	}
	return nil
}

// FinishAttempt writes the index of a complete output file in tmp and
// renames tmp to the attempt's directory, from which it is served.
func (s Store) FinishAttempt(job, attempt, tmp string, segs []Segment) error {
	b, err := json.Marshal(segs)
	if err != nil {
		return fmt.Errorf("shuffle index: %w", err)
	}
	if err := os.WriteFile(filepath.Join(tmp, IndexFile), b, 0o600); err != nil {
		return fmt.Errorf("shuffle index: %w", err)
	}
	if err := os.Rename(tmp, s.AttemptDir(job, attempt)); err != nil {
		return fmt.Errorf("publish map output: %w", err)
	}
	return nil
}

// Secret reads a job's secret; fs.ErrNotExist when the node holds nothing
// of the job.
func (s Store) Secret(job string) (string, error) {
	b, err := os.ReadFile(filepath.Join(s.JobDir(job), SecretFile))
	if err != nil {
		return "", err
	}
	secret := strings.TrimSpace(string(b))
	if err := CheckSecret(secret); err != nil {
		return "", fmt.Errorf("%s: %w", filepath.Join(s.JobDir(job), SecretFile), err)
	}
	return secret, nil
}

// Index reads the partition index of a complete map attempt.
func (s Store) Index(job, attempt string) ([]Segment, error) {
	b, err := os.ReadFile(filepath.Join(s.AttemptDir(job, attempt), IndexFile))
	if err != nil {
		return nil, err
	}
	var segs []Segment
	if err := json.Unmarshal(b, &segs); err != nil {
		return nil, fmt.Errorf("shuffle index of %s: %w", attempt, err)
	}
	return segs, nil
}

// RemoveJob removes a job's data; removing what is gone is no error.
func (s Store) RemoveJob(job string) error {
	if err := CheckID("job", job); err != nil {
		return err
	}
	if err := os.RemoveAll(s.JobDir(job)); err != nil {
		return fmt.Errorf("remove shuffle data of %s: %w", job, err)
	}
	return nil
}

// Sweep removes the data of jobs whose directory has not changed for
// maxAge: jobs that ended while this node was down or cut off, so that
// their DELETE never arrived. It returns the jobs removed.
func (s Store) Sweep(now time.Time, maxAge time.Duration) ([]string, error) {
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return nil, fmt.Errorf("sweep shuffle directory: %w", err)
	}
	var removed []string
	var errs []error
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !e.IsDir() || CheckID("job", e.Name()) != nil {
			continue
		}
		if now.Sub(info.ModTime()) < maxAge {
			continue
		}
		if err := s.RemoveJob(e.Name()); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, e.Name())
	}
	return removed, errors.Join(errs...)
}
