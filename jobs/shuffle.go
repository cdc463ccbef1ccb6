package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dockmr/dockmr/shuffle"
)

// writeShuffleSecret writes a new secret for the job's shuffle. It is
// readable by the tasks' user (they run as another user than the one
// staging the job); the shuffle servers check fetches against the copy
// the maps leave beside their output.
func (p *Plan) writeShuffleSecret() error {
	secret, err := shuffle.NewSecret()
	if err != nil {
		return err
	}
	return writeFileAtomic(p.ShuffleSecretFile(), []byte(secret+"\n"))
}

// ShuffleSecret reads the job's shuffle secret.
func (p *Plan) ShuffleSecret() (string, error) {
	b, err := os.ReadFile(p.ShuffleSecretFile())
	if err != nil {
		return "", fmt.Errorf("read the job's shuffle secret: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if err := shuffle.CheckSecret(s); err != nil {
		return "", fmt.Errorf("%s: %w", p.ShuffleSecretFile(), err)
	}
	return s, nil
}

// LostReport is what a reduce attempt that could not fetch map output
// leaves in the staging directory's lost/ directory for the runner.
type LostReport struct {
	Reduce  string `json:"reduce"`
	Attempt string `json:"attempt"`
	// Maps are the indices of the maps whose output the reduce could not
	// fetch, and Attempts their committed attempts at the time.
	Maps     []int    `json:"maps"`
	Attempts []string `json:"attempts"`
	Reason   string   `json:"reason"`
}

// lostDir is where reduce attempts report lost map output.
func (p *Plan) lostDir() string { return filepath.Join(p.StagingDir(), "lost") }

// ReportLost records lost map output for the runner.
func (p *Plan) ReportLost(r LostReport) error {
	if err := os.MkdirAll(p.lostDir(), 0o777); err != nil {
		return fmt.Errorf("report lost map output: %w", err)
	}
	// Reduces run as the tasks' user, not as whoever staged the job.
	if err := os.Chmod(p.lostDir(), 0o777); err != nil {
		return fmt.Errorf("report lost map output: %w", err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("report lost map output: %w", err)
	}
	return writeFileAtomic(filepath.Join(p.lostDir(), r.Reduce+"."+r.Attempt+".json"), b)
}

// LostReports reads the reports of lost map output not yet acted on.
func (p *Plan) LostReports() ([]LostReport, error) {
	entries, err := os.ReadDir(p.lostDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lost map output reports: %w", err)
	}
	var out []LostReport
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(p.lostDir(), e.Name()))
		if err != nil {
			return nil, fmt.Errorf("read lost map output report: %w", err)
		}
		var r LostReport
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("read lost map output report %s: %w", e.Name(), err)
		}
		out = append(out, r)
	}
	return out, nil
}

// LostMaps plans the re-runs the reports call for: the maps whose
// committed attempt is still the one a reduce could not fetch, in order.
// A map already re-run since (its committed attempt is another) needs no
// new run. committed returns a map's committed attempt, "" if none.
func LostMaps(reports []LostReport, committed func(m int) string) []int {
	var maps []int
	for _, r := range reports {
		for i, m := range r.Maps {
			if i < len(r.Attempts) && committed(m) == r.Attempts[i] && !slices.Contains(maps, m) {
				maps = append(maps, m)
			}
		}
	}
	slices.Sort(maps)
	return maps
}

// Uncommit takes back a map's commit whose output was lost, so that a new
// attempt can commit: the task directory is renamed aside (then removed),
// which only the attempt named may be. It returns false when another
// attempt is committed now.
func (p *Plan) Uncommit(kind TaskKind, index int, attempt string) (bool, error) {
	m, err := p.ReadManifest(kind, index)
	if err != nil || m.Attempt != attempt {
		return false, nil
	}
	aside := filepath.Join(p.StagingDir(), "attempts", "lost-"+TaskName(kind, index)+"."+attempt)
	if err := os.Rename(p.TaskDir(kind, index), aside); err != nil {
		return false, fmt.Errorf("take back %s's commit: %w", TaskName(kind, index), err)
	}
	os.RemoveAll(aside)
	return true, nil
}

// ClearLostReports removes the reports once their maps have been re-run.
func (p *Plan) ClearLostReports() error {
	if err := os.RemoveAll(p.lostDir()); err != nil {
		return fmt.Errorf("clear lost map output reports: %w", err)
	}
	return nil
}
