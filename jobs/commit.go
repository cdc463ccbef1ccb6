package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/dockmr/dockmr/storage"
)

// Manifest is what a task attempt writes last in its attempt directory.
// Committing renames the whole directory, so a task directory is complete
// exactly when it has a manifest.
type Manifest struct {
	Task     string    `json:"task"`
	Attempt  string    `json:"attempt"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Counters Counters  `json:"counters"`
	// Files are the part files that job commit moves into the output.
	Files []string `json:"files,omitempty"`
	// Uploads are the pending uploads of the part objects of an attempt
	// that writes to S3, which job commit completes.
	Uploads []storage.Pending `json:"uploads,omitempty"`
	// Segments locate each partition's sorted records in MapOutputFile,
	// for a map task of a job with reduces; index r is reduce r's.
	Segments []Segment `json:"segments,omitempty"`
	// Shuffle, for a map whose output stays on its node, names the node
	// and the shuffle server that serves it; nil when the output is
	// MapOutputFile in the task directory.
	Shuffle *ShuffleLocation `json:"shuffle,omitempty"`
}

// ShuffleLocation is where a map attempt's output is served from.
type ShuffleLocation struct {
	// Node is the name of the node holding the output.
	Node string `json:"node,omitempty"`
	// Addr is host:port of the node's shuffle server.
	Addr string `json:"addr"`
}

// Segment is one partition's byte range of a sorted run.
type Segment struct {
	Offset  int64  `json:"offset"`
	Length  int64  `json:"length"`
	Records uint64 `json:"records"`
}

// ErrAlreadyCommitted reports that another attempt of the task committed
// first; the attempt's own output was discarded.
var ErrAlreadyCommitted = errors.New("task already committed by another attempt")

// CommitTask commits an attempt of a task whose files are complete in its
// attempt directory: it writes the manifest there and renames the directory
// to the task directory. Renaming a directory onto a non-empty one fails, so
// the first attempt to commit wins; a later one removes its directory and
// gets ErrAlreadyCommitted, so duplicate attempts never double output.
func (p *Plan) CommitTask(kind TaskKind, index int, m *Manifest) error {
	dir := p.AttemptDir(kind, index, m.Attempt)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("commit %s: encode manifest: %w", m.Task, err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("commit %s: %w", m.Task, err)
	}
	err = os.Rename(dir, p.TaskDir(kind, index))
	if errors.Is(err, fs.ErrExist) { // EEXIST or ENOTEMPTY: someone won
		if rmErr := os.RemoveAll(dir); rmErr != nil {
			return fmt.Errorf("commit %s: discard attempt %s: %w", m.Task, m.Attempt, rmErr)
		}
		return fmt.Errorf("commit %s attempt %s: %w", m.Task, m.Attempt, ErrAlreadyCommitted)
	}
	if err != nil {
		return fmt.Errorf("commit %s: %w", m.Task, err)
	}
	return nil
}

// ReadManifest reads the manifest of a committed task.
func (p *Plan) ReadManifest(kind TaskKind, index int) (*Manifest, error) {
	name := TaskName(kind, index)
	b, err := os.ReadFile(filepath.Join(p.TaskDir(kind, index), ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s has not committed", name)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s's manifest: %w", name, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read %s's manifest: %w", name, err)
	}
	return &m, nil
}
