package hosts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/dockmr/dockmr/internal/mountinfo"
)

// Close removes the network: every process still running on its hosts,
// what is mounted under the directories it was given and those
// directories, its namespaces, the machine's interface, the switch and
// its record. Callers stop what they started on the hosts first, so that
// it ends cleanly; Close kills what is left. It is safe to call more than
// once.
func (n *Network) Close() error {
	n.closeOnce.Do(func() {
		n.mu.Lock()
		rec := n.rec
		n.mu.Unlock()
		n.closeErr = removeRecorded(context.Background(), &rec, n.recordDir)
	})
	return n.closeErr
}

// CleanLeftovers removes what the networks of runs that were killed
// outright left on the machine, as recorded in RecordDir, and returns
// their IDs. A network whose process still runs is left alone.
func CleanLeftovers(ctx context.Context) ([]string, error) {
	unlock, err := lock(RecordDir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return cleanLeftovers(ctx, RecordDir)
}

func cleanLeftovers(ctx context.Context, dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var cleaned []string
	var errs []error
	for _, f := range files {
		rec, err := readRecord(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("%w; remove %s by hand once you have checked what it names", err, f))
			continue
		}
		if alive(rec.PID, rec.Start) {
			continue
		}
		if err := removeRecorded(ctx, rec, dir); err != nil {
			errs = append(errs, err)
			continue
		}
		cleaned = append(cleaned, rec.ID)
	}
	return cleaned, errors.Join(errs...)
}

// removeRecorded removes what the record names, in order: processes in
// the hosts' namespaces, the recorded directories, the namespaces, the
// machine's interface, the switch, and last the record itself, so that a
// removal that fails is tried again next time.
func removeRecorded(ctx context.Context, rec *record, dir string) error {
	if err := rec.check(); err != nil {
		return err
	}
	var errs []error
	for _, h := range rec.Hosts {
		errs = append(errs, killAllIn(filepath.Join(netnsDir, h.NetNS)))
	}
	for _, d := range rec.Dirs {
		errs = append(errs, removeDir(d))
	}
	for _, h := range rec.Hosts {
		errs = append(errs, deleteNetNS(ctx, h.NetNS))
	}
	if _, err := os.Stat("/sys/class/net/" + rec.Link); err == nil {
		if _, err := ip(ctx, "link", "delete", rec.Link); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, killAllIn(filepath.Join(netnsDir, rec.Switch)), deleteNetNS(ctx, rec.Switch))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("remove network %s: %w", rec.ID, err)
	}
	if err := os.Remove(rec.path(dir)); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("remove the record of network %s: %w", rec.ID, err)
	}
	return nil
}

// deleteNetNS deletes the named network namespace, if it is there.
func deleteNetNS(ctx context.Context, name string) error {
	path := filepath.Join(netnsDir, name)
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return nil
	}
	_, err := ip(ctx, "netns", "delete", name)
	if err != nil && strings.Contains(err.Error(), "No such file") {
		return nil
	}
	return err
}

// removeDir unmounts whatever is mounted at or below dir, deepest first,
// and removes dir.
func removeDir(dir string) error {
	mounts, err := mountinfo.Under(dir)
	if err != nil {
		return err
	}
	for _, m := range mounts {
		// EINVAL, ENOENT: no longer a mount point.
		if uerr := syscall.Unmount(m, syscall.MNT_DETACH); uerr != nil && !errors.Is(uerr, syscall.EINVAL) && !errors.Is(uerr, syscall.ENOENT) {
			err = errors.Join(err, fmt.Errorf("unmount %s: %w", m, uerr))
		}
	}
	if rerr := os.RemoveAll(dir); rerr != nil {
		err = errors.Join(err, fmt.Errorf("remove %s: %w", dir, rerr))
	}
	return err
}
