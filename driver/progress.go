package driver

import (
	"fmt"
	"strings"

	"github.com/docker/docker/pkg/jsonmessage"
)

// pullProgress sums the per-layer progress messages of a pull.
type pullProgress struct {
	layers map[string]layerProgress
}

type layerProgress struct {
	current, total int64
	done           bool
}

func newPullProgress() *pullProgress {
	return &pullProgress{layers: map[string]layerProgress{}}
}

func (p *pullProgress) update(msg jsonmessage.JSONMessage) {
	if msg.ID == "" {
		return
	}
	l := p.layers[msg.ID]
	switch {
	case msg.Progress != nil && msg.Status == "Downloading":
		l.current, l.total = msg.Progress.Current, msg.Progress.Total
	case msg.Status == "Download complete" || msg.Status == "Pull complete" || msg.Status == "Already exists":
		l.done = true
		if l.total > 0 {
			l.current = l.total
		}
	}
	p.layers[msg.ID] = l
}

// String renders "12.3 MB of 40.1 MB, 2 of 5 layers done".
func (p *pullProgress) String() string {
	var cur, total int64
	done := 0
	for _, l := range p.layers {
		cur += l.current
		total += l.total
		if l.done {
			done++
		}
	}
	return fmt.Sprintf("%.1f MB of %.1f MB, %d of %d layers done", float64(cur)/1e6, float64(total)/1e6, done, len(p.layers))
}

// isNotFoundMessage recognises a registry's answers for an image that does
// not exist, which reach us as plain strings inside the pull stream.
func isNotFoundMessage(err error) bool {
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"repository does not exist", "manifest unknown", "not found", "no such image"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
