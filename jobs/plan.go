package jobs

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// PlanVersion is the version of the plan file format. A task refuses a plan
// of another version, so that a runtime never misreads a newer plan.
const PlanVersion = 1

// Plan is a job resolved into tasks: its input split for the map tasks and
// its staging directory. It is what a task reads to know its work.
type Plan struct {
	Version int       `json:"version"`
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	// Job is the job with its paths absolute and its defaults filled in.
	Job Job `json:"job"`
	// Splits holds the input of each map task, by task index.
	Splits []Split `json:"splits"`
}

// Split is the input of one map task: a byte range of a file, or a range of
// rows of a synthetic input.
type Split struct {
	Path     string `json:"path,omitempty"`
	Offset   int64  `json:"offset,omitempty"`
	Length   int64  `json:"length,omitempty"`
	FirstRow uint64 `json:"first_row,omitempty"`
	Rows     uint64 `json:"rows,omitempty"`
}

// NewPlan checks a job and plans it: it resolves the input into splits, one
// per map task, and gives the job an ID. It reads the input's sizes (and,
// for lines, the bytes around split boundaries) but writes nothing.
func NewPlan(job Job) (*Plan, error) {
	if err := job.Validate(); err != nil {
		return nil, err
	}
	out, err := resolveOutput(&job)
	if err != nil {
		return nil, fmt.Errorf("job %q: %w", job.Name, err)
	}
	job.Settings = job.Settings.withDefaults()
	if job.Partitioner.Kind == "" {
		job.Partitioner.Kind = HashPartition
	}
	var splits []Split
	if job.Input.Rows > 0 {
		splits = rowSplits(job.Input.Rows, max(job.Map.Tasks, 1))
	} else {
		files, err := resolveInput(job.Input, out, job.OutputURL)
		if err != nil {
			return nil, fmt.Errorf("job %q: %w", job.Name, err)
		}
		job.Input.Paths = make([]string, len(files))
		for i, f := range files {
			job.Input.Paths[i] = f.path
		}
		if splits, err = fileSplits(files, job.Input.Records, job.Map.Tasks); err != nil {
			return nil, fmt.Errorf("job %q: %w", job.Name, err)
		}
	}
	job.Map.Tasks = len(splits)
	id, err := newJobID(time.Now())
	if err != nil {
		return nil, err
	}
	return &Plan{Version: PlanVersion, ID: id, Created: time.Now().UTC(), Job: job, Splits: splits}, nil
}

// newJobID returns a job ID in Hadoop's spirit: job_<UTC time>_<random>.
func newJobID(now time.Time) (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("job id: %w", err)
	}
	return fmt.Sprintf("job_%s_%s", now.UTC().Format("20060102150405"), hex.EncodeToString(b[:])), nil
}

// Phase returns the plan's phase of a kind of task, nil for the reduce
// phase of a map-only job.
func (p *Plan) Phase(kind TaskKind) *Phase {
	if kind == MapTask {
		return &p.Job.Map
	}
	return p.Job.Reduce
}

// Tasks returns how many tasks of a kind the plan has.
func (p *Plan) Tasks(kind TaskKind) int {
	if ph := p.Phase(kind); ph != nil {
		return ph.Tasks
	}
	return 0
}

// Reduces returns the number of reduce tasks, which is the number of
// partitions of map output; 0 for a map-only job.
func (p *Plan) Reduces() int { return p.Tasks(ReduceTask) }

// OutputKind returns the kind of task whose part files are the job's output.
func (p *Plan) OutputKind() TaskKind {
	if p.Job.Reduce != nil {
		return ReduceTask
	}
	return MapTask
}

// writePlan writes the plan file atomically.
func (p *Plan) write() error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return fmt.Errorf("encode plan: %w", err)
	}
	return writeFileAtomic(p.PlanFile(), append(b, '\n'))
}

// ReadPlan reads a plan file written by Run.
func ReadPlan(path string) (*Plan, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read plan: %w", err)
	}
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("read plan %s: %w", path, err)
	}
	if p.Version != PlanVersion {
		return nil, fmt.Errorf("plan %s has version %d; this program reads version %d", path, p.Version, PlanVersion)
	}
	return &p, nil
}

// writeFileAtomic writes data to path through a temporary file and a
// rename, so that readers see the whole file or none.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	// Tasks read it, and may run as another user.
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
