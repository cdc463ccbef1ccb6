package jobs

import (
	"fmt"
	"path/filepath"
)

// TaskKind is map or reduce.
type TaskKind string

// The kinds of task.
const (
	MapTask    TaskKind = "map"
	ReduceTask TaskKind = "reduce"
)

// ParseTaskKind parses "map" or "reduce".
func ParseTaskKind(s string) (TaskKind, error) {
	switch k := TaskKind(s); k {
	case MapTask, ReduceTask:
		return k, nil
	}
	return "", fmt.Errorf("task kind %q: want %q or %q", s, MapTask, ReduceTask)
}

// letter is Hadoop's one-letter name of the kind, as in part-m-00000.
func (k TaskKind) letter() string {
	if k == MapTask {
		return "m"
	}
	return "r"
}

// The staging directory of a job, OUTDIR/_temporary/<job id>, holds:
//
//	plan.json                   the plan that tasks read
//	attempts/m-00003.<attempt>  what one attempt of map 3 is writing
//	tasks/m-00003               map 3's committed output: the attempt
//	                            directory that was renamed first
//
// Job commit moves the part files of the committed output tasks into OUTDIR
// and removes the staging directory.
const (
	// TemporaryDir is the name of the directory under the output directory
	// that holds the staging directories of running jobs.
	TemporaryDir = "_temporary"
	// HistoryDir is the directory under the output directory that keeps
	// the history of every job that wrote there, committed or not. Its
	// '_' hides it from jobs that read the output as input.
	HistoryDir = "_history"
	// SuccessFile marks a committed job's output directory.
	SuccessFile = "_SUCCESS"
	// ManifestFile is written last by a task attempt, so a task directory
	// that has it is complete.
	ManifestFile = "manifest.json"
	// MapOutputFile holds a map task's sorted output for every partition.
	MapOutputFile = "map.out"
)

// ShuffleSecretFile returns the file holding the job's shuffle secret, in
// its staging directory: the tasks sign their fetches with it, and the
// maps hand it to their node's shuffle server.
func (p *Plan) ShuffleSecretFile() string {
	return filepath.Join(p.StagingDir(), "shuffle.secret")
}

// StagingDir returns the job's staging directory.
func (p *Plan) StagingDir() string {
	return filepath.Join(p.Job.Output, TemporaryDir, p.ID)
}

// PlanFile returns the path of the plan file that tasks read.
func (p *Plan) PlanFile() string { return filepath.Join(p.StagingDir(), "plan.json") }

// TaskName returns a task's name, like m-00003.
func TaskName(kind TaskKind, index int) string {
	return fmt.Sprintf("%s-%05d", kind.letter(), index)
}

// AttemptDir returns the directory that one attempt of a task writes in.
func (p *Plan) AttemptDir(kind TaskKind, index int, attempt string) string {
	return filepath.Join(p.StagingDir(), "attempts", TaskName(kind, index)+"."+attempt)
}

// TaskDir returns the directory that holds a task's committed output.
func (p *Plan) TaskDir(kind TaskKind, index int) string {
	return filepath.Join(p.StagingDir(), "tasks", TaskName(kind, index))
}

// PartName returns the name of the output file of a task, like
// part-r-00003: Hadoop's names, whose order is the order of the tasks.
func PartName(kind TaskKind, index int) string {
	return fmt.Sprintf("part-%s-%05d", kind.letter(), index)
}

// CheckAttemptID checks that an attempt ID is usable in a file name: 1 to
// 64 letters, digits, '-' or '_', as Nomad allocation IDs are.
func CheckAttemptID(id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("attempt id %q: want 1 to 64 letters, digits, '-' or '_'", id)
	}
	for _, r := range id {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("attempt id %q: %q is not allowed; want letters, digits, '-' or '_'", id, r)
		}
	}
	return nil
}
