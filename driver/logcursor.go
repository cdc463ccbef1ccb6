package driver

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/nomad/plugins/drivers"
)

// cursorFileName holds, in the task's directory (which is not mounted into
// the container), the timestamp of the last log line delivered to Nomad.
// A recovered plugin resumes after it, so no line is delivered twice.
const cursorFileName = ".dockmr-log-cursor"

// logCursor is the position in a container's log streams: the Docker
// timestamp of the last line delivered from each. Docker stamps stdout and
// stderr lines in separate goroutines, so the two streams are each in time
// order but not in order with each other; one cursor each keeps a resumed
// copy from dropping or repeating lines of either.
type logCursor struct {
	stdout, stderr time.Time
}

// since is where a resumed stream must start: the older of the two.
func (c logCursor) since() time.Time {
	if c.stderr.Before(c.stdout) {
		return c.stderr
	}
	return c.stdout
}

func (c *logCursor) at(stream byte) *time.Time {
	if stream == streamStderr {
		return &c.stderr
	}
	return &c.stdout
}

// encode renders the cursor in fixed width, so overwriting it in place
// never leaves the tail of a longer old value.
func (c logCursor) encode() []byte {
	return []byte(fmt.Sprintf("%020d %020d\n", unixNano(c.stdout), unixNano(c.stderr)))
}

func decodeLogCursor(b []byte) logCursor {
	var out, errs int64
	if _, err := fmt.Sscanf(string(b), "%d %d", &out, &errs); err != nil {
		return logCursor{}
	}
	return logCursor{stdout: fromUnixNano(out), stderr: fromUnixNano(errs)}
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(ns int64) time.Time {
	if ns <= 0 {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// loadLogCursor reads the cursor a previous plugin process left.
func loadLogCursor(cfg *drivers.TaskConfig) logCursor {
	if cfg.AllocDir == "" {
		return logCursor{}
	}
	b, err := os.ReadFile(filepath.Join(cfg.TaskDir().Dir, cursorFileName))
	if err != nil {
		return logCursor{}
	}
	return decodeLogCursor(b)
}

// saveCursor overwrites the saved cursor in place.
func saveCursor(f io.WriterAt, c logCursor) {
	_, _ = f.WriteAt(c.encode(), 0)
}
