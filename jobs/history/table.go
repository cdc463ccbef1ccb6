package history

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// WriteTable prints a record as text: a summary of the job, its phases,
// and one row per attempt. Start times are offsets from the submission.
func WriteTable(w io.Writer, rec *Record) error {
	fmt.Fprintf(w, "job %s (%s, %s): %s in %s\n", rec.ID, rec.Name, rec.Kind, rec.State, seconds(rec.Duration()))
	fmt.Fprintf(w, "output %s\nrunner %s, image %s, submitted %s\n", rec.Output, rec.Runner, orDash(rec.Image),
		rec.Submitted.Format(time.RFC3339))
	if rec.Error != "" {
		fmt.Fprintf(w, "error: %s\n", rec.Error)
	}
	c := rec.Counters
	fmt.Fprintf(w, "counters: %d records in, %d out, %d bytes in, %d out, %d spills, %d shuffle bytes",
		c.RecordsIn, c.RecordsOut, c.BytesIn, c.BytesOut, c.Spills, c.ShuffleBytes)
	if rec.Checksum != nil {
		fmt.Fprintf(w, ", checksum %s", rec.Checksum)
	}
	fmt.Fprintln(w)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nPHASE\tTASKS\tCOMMITTED\tATTEMPTS\tFAILED\tSTART\tDURATION\tWHY")
	for _, ph := range rec.Phases {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t%s\n", ph.Kind, ph.Tasks, ph.Committed, ph.Attempts,
			ph.FailedAttempts, offset(rec.Submitted, ph.Started), seconds(ph.Finished.Sub(ph.Started)), orDash(reasonLine(ph.Reason)))
	}
	fmt.Fprintln(tw, "\nPHASE\tTASK\tATTEMPT\tNODE\tSTART\tDURATION\tSTATE\tRECORDS IN\tRECORDS OUT\tBYTES IN\tBYTES OUT\tSPILLS\tSHUFFLE BYTES\tFETCHED")
	for _, a := range rec.Attempts {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\n", a.Phase, a.TaskName(), a.Number, orDash(a.Node),
			offset(rec.Submitted, a.Begin()), seconds(a.Duration()), stateOf(a), countersRow(a))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("print job history: %w", err)
	}
	for _, a := range rec.Attempts {
		if a.Failure != "" {
			fmt.Fprintf(w, "%s attempt %d (%s): %s\n", a.TaskName(), a.Number, a.ID, a.Failure)
		}
		if a.Reason != "" {
			fmt.Fprintf(w, "%s attempt %d (%s): %s\n", a.TaskName(), a.Number, a.ID, a.Reason)
		}
	}
	return nil
}

func countersRow(a Attempt) string {
	c := a.Counters
	if c == nil {
		return "-\t-\t-\t-\t-\t-\t-"
	}
	return fmt.Sprintf("%d\t%d\t%d\t%d\t%d\t%d\t%d", c.RecordsIn, c.RecordsOut, c.BytesIn, c.BytesOut, c.Spills, c.ShuffleBytes, c.ShuffleRemoteBytes)
}

func stateOf(a Attempt) string {
	if a.Failed() && a.ExitCode != 0 {
		return fmt.Sprintf("failed (exit %d)", a.ExitCode)
	}
	return a.State
}

func offset(origin, t time.Time) string {
	if t.IsZero() || origin.IsZero() {
		return "-"
	}
	return fmt.Sprintf("+%.2fs", t.Sub(origin).Seconds())
}

func seconds(d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// reasonLine shortens a re-run's reason to its first clause, for a table.
func reasonLine(r string) string {
	if len(r) > 60 {
		return r[:57] + "..."
	}
	return r
}
