package history

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"time"

	"github.com/dockmr/dockmr/jobs"
)

// The page is one self-contained file: styles, script and chart inline, so
// that it opens anywhere, offline, and can be mailed or archived.
//
//go:embed page.html.tmpl
var pageSource string

var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"add": func(x float64, ys ...float64) float64 {
		for _, y := range ys {
			x += y
		}
		return round(x)
	},
	"bytes": HumanBytes,
}).Parse(pageSource))

// pageData is what the page template shows.
type pageData struct {
	Rec       *Record
	Chart     timeline
	Rows      []row
	Tasks     int
	Failed    int
	Duration  string
	Submitted string
	Finished  string
}

// row is one attempt in the page's table.
type row struct {
	Attempt
	Key       string
	Task      string
	Start     string
	Duration  string
	StateText string
	Node      string
}

// WriteHTML writes a record as a self-contained page with a timeline of
// its attempts, one bar per attempt, grouped by node.
func WriteHTML(w io.Writer, rec *Record) error {
	d := pageData{
		Rec: rec, Chart: layout(rec), Duration: seconds(rec.Duration()),
		Submitted: rec.Submitted.Format(time.RFC3339), Finished: rec.Finished.Format(time.RFC3339),
	}
	roundChart(&d.Chart)
	for _, ph := range rec.Phases {
		d.Tasks += ph.Tasks
	}
	for _, a := range rec.Attempts {
		if a.Failed() {
			d.Failed++
		}
		d.Rows = append(d.Rows, row{
			Attempt: a, Key: fmt.Sprintf("%s.%d", a.TaskName(), a.Number), Task: jobs.TaskName(a.Phase, a.Task),
			Start: offset(rec.Submitted, a.Begin()), Duration: seconds(a.Duration()), StateText: stateOf(a),
			Node: orDash(a.Node),
		})
	}
	if err := page.Execute(w, d); err != nil {
		return fmt.Errorf("write the history page of job %s: %w", rec.ID, err)
	}
	return nil
}

// roundChart keeps the page small: a tenth of a pixel is precise enough.
func roundChart(tl *timeline) {
	for i := range tl.Bars {
		b := &tl.Bars[i]
		b.X, b.Y, b.W, b.H, b.QueueX = round(b.X), round(b.Y), round(b.W), round(b.H), round(b.QueueX)
	}
	for i := range tl.Ticks {
		tl.Ticks[i].X = round(tl.Ticks[i].X)
	}
	for i := range tl.Phases {
		tl.Phases[i].X, tl.Phases[i].W = round(tl.Phases[i].X), round(tl.Phases[i].W)
	}
	for i := range tl.Lanes {
		tl.Lanes[i].Y, tl.Lanes[i].H = round(tl.Lanes[i].Y), round(tl.Lanes[i].H)
	}
	tl.Width, tl.Height, tl.Top, tl.Bottom = round(tl.Width), round(tl.Height), round(tl.Top), round(tl.Bottom)
}

func round(x float64) float64 { return math.Round(x*10) / 10 }
