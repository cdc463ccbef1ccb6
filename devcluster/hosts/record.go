package hosts

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// RecordDir holds a record of every live network, and of every network
// whose run was killed before it could remove it.
const RecordDir = "/run/dockmr/hosts"

// lockFile serializes the making and the cleaning of networks.
const lockFile = ".lock"

// record is what a network made, written before it makes anything and
// kept up to date, so that what a killed run leaves can be removed.
type record struct {
	ID string `json:"id"`
	// PID and Start (clock ticks since boot) name the process that owns
	// the network; a record whose process is gone is a leftover.
	PID    int    `json:"pid"`
	Start  uint64 `json:"start"`
	Subnet string `json:"subnet"`
	// Link is the machine's interface onto the bridge.
	Link string `json:"link"`
	// Switch is the namespace of the bridge.
	Switch string       `json:"switch"`
	Hosts  []recordHost `json:"hosts"`
	// Dirs are removed with the network, after what is mounted below
	// them is unmounted: directories of daemons that ran in it.
	Dirs []string `json:"dirs,omitempty"`
}

// recordHost is one host of a record.
type recordHost struct {
	Name  string `json:"name"`
	NetNS string `json:"netns"`
	Addr  string `json:"addr"`
}

// path is the record's file.
func (r *record) path(dir string) string { return filepath.Join(dir, r.ID+".json") }

// write saves the record atomically.
func (r *record) write(dir string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp := r.path(dir) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write the network's record: %w", err)
	}
	if err := os.Rename(tmp, r.path(dir)); err != nil {
		return fmt.Errorf("write the network's record: %w", err)
	}
	return nil
}

// check refuses a record that names anything its ID does not mark, so
// that a damaged or foreign file can make cleaning touch nothing else.
func (r *record) check() error {
	if !idRE.MatchString(r.ID) {
		return fmt.Errorf("record ID %q is not a network ID", r.ID)
	}
	names := []string{r.Link, r.Switch}
	for _, h := range r.Hosts {
		names = append(names, h.NetNS)
	}
	for _, n := range names {
		if !ownedBy(r.ID, n) {
			return fmt.Errorf("record %s names %q, which is not one of its own", r.ID, n)
		}
	}
	for _, d := range r.Dirs {
		if !filepath.IsAbs(d) || filepath.Clean(d) == "/" || filepath.Dir(filepath.Clean(d)) == "/" {
			return fmt.Errorf("record %s names directory %q, which it cannot have made", r.ID, d)
		}
	}
	return nil
}

// readRecord reads a record file.
func readRecord(path string) (*record, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if filepath.Base(path) != r.ID+".json" {
		return nil, fmt.Errorf("record %s holds network %q", path, r.ID)
	}
	return &r, r.check()
}

// lock takes the lock of dir, which it creates if missing, and returns
// its release.
func lock(dir string) (func(), error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the networks' lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
	}
	return func() { f.Close() }, nil
}
