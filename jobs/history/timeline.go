package history

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/dockmr/dockmr/jobs"
)

// The timeline's geometry, in SVG units (pixels at 100 %).
const (
	chartLeft   = 170.0 // room for the node names
	chartWidth  = 1000.0
	chartRight  = 30.0
	axisHeight  = 34.0
	phaseHeight = 22.0
	rowHeight   = 20.0
	barHeight   = 14.0
	laneGap     = 10.0
)

// timeline is the laid-out chart of a record: one lane per node, as many
// rows in a lane as its attempts overlap, one bar per attempt.
type timeline struct {
	Width, Height float64
	Lanes         []lane
	Bars          []bar
	Ticks         []tick
	Phases        []phaseBand
	// Bottom is where the lanes end, for the grid lines.
	Top, Bottom float64
}

type lane struct {
	Node     string
	Attempts int
	Y, H     float64
	Odd      bool
}

type bar struct {
	Attempt
	Key        string // task and attempt number, "m-00003.2": one per bar
	X, Y, W, H float64
	// QueueX is where the attempt was placed, left of X when it waited
	// for its container.
	QueueX float64
	Label  string
	Tip    string
}

type tick struct {
	X     float64
	Label string
}

type phaseBand struct {
	Kind     string
	X, W     float64
	Label    string
	Failures int
}

// layout lays out a record's attempts.
func layout(rec *Record) timeline {
	t0, t1 := span(rec)
	scale := chartWidth / math.Max(t1.Sub(t0).Seconds(), 1e-3)
	x := func(t time.Time) float64 {
		if t.IsZero() {
			return chartLeft
		}
		return chartLeft + t.Sub(t0).Seconds()*scale
	}
	tl := timeline{Width: chartLeft + chartWidth + chartRight, Top: axisHeight + phaseHeight}
	for _, ph := range rec.Phases {
		tl.Phases = append(tl.Phases, phaseBand{
			Kind: string(ph.Kind), X: x(ph.Started), W: math.Max(x(ph.Finished)-x(ph.Started), 1),
			Label: fmt.Sprintf("%s · %d tasks", ph.Kind, ph.Tasks), Failures: ph.FailedAttempts,
		})
	}
	y := tl.Top
	for i, node := range nodesOf(rec) {
		rows := packRows(node.attempts, t1)
		ln := lane{Node: node.name, Attempts: len(node.attempts), Y: y, Odd: i%2 == 1}
		for r, row := range rows {
			for _, a := range row {
				end := a.Finished
				if end.IsZero() {
					end = t1
				}
				b := bar{
					Attempt: a, Key: fmt.Sprintf("%s.%d", a.TaskName(), a.Number),
					X: x(a.Begin()), Y: y + laneGap/2 + float64(r)*rowHeight + (rowHeight-barHeight)/2,
					H: barHeight, QueueX: x(a.Queued), Label: a.TaskName(), Tip: tip(rec, a),
				}
				b.W = math.Max(x(end)-b.X, 2)
				if a.Queued.IsZero() || a.Started.IsZero() {
					b.QueueX = b.X
				}
				tl.Bars = append(tl.Bars, b)
			}
		}
		ln.H = float64(max(len(rows), 1))*rowHeight + laneGap
		tl.Lanes = append(tl.Lanes, ln)
		y += ln.H
	}
	tl.Bottom = y
	tl.Height = y + 8
	for _, s := range tickSeconds(t1.Sub(t0).Seconds()) {
		tl.Ticks = append(tl.Ticks, tick{X: chartLeft + s*scale, Label: tickLabel(s)})
	}
	return tl
}

// span is the time the chart shows: from submission to the last end.
func span(rec *Record) (time.Time, time.Time) {
	t0, t1 := rec.Submitted, rec.Finished
	for _, a := range rec.Attempts {
		for _, t := range []time.Time{a.Queued, a.Started, a.Finished} {
			if t.IsZero() {
				continue
			}
			if t0.IsZero() || t.Before(t0) {
				t0 = t
			}
			if t.After(t1) {
				t1 = t
			}
		}
	}
	if !t1.After(t0) {
		t1 = t0.Add(time.Second)
	}
	return t0, t1
}

type nodeAttempts struct {
	name     string
	attempts []Attempt
}

// nodesOf groups attempts by node, nodes in name order.
func nodesOf(rec *Record) []nodeAttempts {
	byNode := map[string][]Attempt{}
	for _, a := range rec.Attempts {
		n := a.Node
		if n == "" {
			n = "(unknown node)"
		}
		byNode[n] = append(byNode[n], a)
	}
	var out []nodeAttempts
	for n, as := range byNode {
		out = append(out, nodeAttempts{n, as})
	}
	slices.SortFunc(out, func(a, b nodeAttempts) int { return strings.Compare(a.name, b.name) })
	return out
}

// packRows puts attempts into rows so that no two in a row overlap, each
// into the first row free at its beginning.
func packRows(as []Attempt, end time.Time) [][]Attempt {
	as = slices.Clone(as)
	slices.SortStableFunc(as, func(a, b Attempt) int {
		return cmp.Or(a.Begin().Compare(b.Begin()), cmp.Compare(a.Phase, b.Phase), cmp.Compare(a.Task, b.Task))
	})
	var rows [][]Attempt
	var free []time.Time
	for _, a := range as {
		fin := a.Finished
		if fin.IsZero() {
			fin = end
		}
		placed := false
		for r := range rows {
			if !a.Begin().Before(free[r]) {
				rows[r] = append(rows[r], a)
				free[r] = fin
				placed = true
				break
			}
		}
		if !placed {
			rows = append(rows, []Attempt{a})
			free = append(free, fin)
		}
	}
	return rows
}

// tickSeconds are round offsets, about eight of them, across total
// seconds.
func tickSeconds(total float64) []float64 {
	step := niceStep(total / 8)
	var out []float64
	for s := 0.0; s <= total+step/1e6; s += step {
		out = append(out, s)
	}
	return out
}

func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

func tickLabel(s float64) string {
	switch {
	case s >= 120:
		return fmt.Sprintf("%dm%02ds", int(s)/60, int(s)%60)
	case s == math.Trunc(s):
		return fmt.Sprintf("%.0fs", s)
	default:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.2f", s), "0"), ".") + "s"
	}
}

// tip is the hover text of an attempt, one fact a line.
func tip(rec *Record, a Attempt) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s attempt %d: %s\n", a.TaskName(), a.Number, stateOf(a))
	fmt.Fprintf(&b, "node %s", orDash(a.Node))
	if a.NodeID != "" {
		fmt.Fprintf(&b, " (%.8s)", a.NodeID)
	}
	fmt.Fprintf(&b, "\nattempt %s\n", orDash(a.ID))
	if a.Image != "" {
		fmt.Fprintf(&b, "image %s\n", a.Image)
	}
	fmt.Fprintf(&b, "placed %s, started %s, ended %s (%s)\n", offset(rec.Submitted, a.Queued),
		offset(rec.Submitted, a.Started), offset(rec.Submitted, a.Finished), seconds(a.Duration()))
	if c := a.Counters; c != nil {
		fmt.Fprintf(&b, "records %d in, %d out\nbytes %s in, %s out\nspills %d\n",
			c.RecordsIn, c.RecordsOut, HumanBytes(c.BytesIn), HumanBytes(c.BytesOut), c.Spills)
		// A map's output for reduces is neither shuffled into it nor
		// summed: zeros that would only puzzle.
		if c.ShuffleBytes > 0 {
			fmt.Fprintf(&b, "shuffled in %s\n", HumanBytes(c.ShuffleBytes))
		}
		if c.Checksum != (jobs.Checksum{}) {
			fmt.Fprintf(&b, "output checksum %s\n", c.Checksum)
		}
	}
	if a.Failure != "" {
		fmt.Fprintf(&b, "failure: %s\n", a.Failure)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// HumanBytes writes a byte count in binary units, "1.5 MiB".
func HumanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
