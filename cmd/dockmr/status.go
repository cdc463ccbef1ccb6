package main

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/nomad"
)

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:      "status",
		Usage:     "show the state of a job and of its phases",
		ArgsUsage: "JOB",
		Description: `Shows a job's state (running, complete, failed or cancelled), each phase's
tasks and attempts, why it failed, and the result of a committed job.
Exit status 0 whatever the job's state; --json for scripts.

Examples:
   dockmr status job_20260101120000_0123abcd
   dockmr status --json job_20260101120000_0123abcd`,
		Flags:        []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the status as JSON"}},
		OnUsageError: onUsageError,
		Action:       status,
	}
}

func status(c *cli.Context) error {
	id, err := jobArg(c)
	if err != nil {
		return err
	}
	client, err := nomad.Connect()
	if err != nil {
		return err
	}
	st, err := nomad.Status(client, id)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, st)
	}
	w := c.App.Writer
	fmt.Fprintf(w, "job %s (%s): %s\noutput %s\nimage  %s\n", st.ID, st.Name, st.State, st.Output, st.Image)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PHASE\tTASKS\tDONE\tRUNNING\tPENDING\tATTEMPTS\tFAILED\tNOMAD JOB\tNOMAD STATUS")
	for _, ph := range st.Phases {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", ph.Phase, ph.Tasks, ph.Done, ph.Running,
			ph.Pending, ph.Attempts, ph.FailedAttempts, ph.NomadJob, nomadStatus(ph))
	}
	tw.Flush()
	if st.Error != "" {
		fmt.Fprintf(w, "error: %s\n", st.Error)
	}
	if res := st.Result; res != nil {
		out := res.Map
		if st.Phases[len(st.Phases)-1].Phase == string(jobs.ReduceTask) {
			out = res.Reduce
		}
		fmt.Fprintf(w, "committed: %d records, %d bytes, checksum %s, %.2fs\n",
			out.RecordsOut, out.BytesOut, res.Checksum, res.Elapsed.Seconds())
	}
	printTaskStatus(w, st)
	return nil
}

// printTaskStatus prints the job's counters and a row per task.
func printTaskStatus(w io.Writer, st *nomad.JobStatus) {
	if c := st.Counters; c != nil {
		fmt.Fprintf(w, "counters of committed tasks: %d records in, %d out, %d bytes in, %d out, %d spills, %d shuffle bytes (%d read in place on the node, %d fetched from other nodes)\n",
			c.RecordsIn, c.RecordsOut, c.BytesIn, c.BytesOut, c.Spills, c.ShuffleBytes, c.ShuffleLocalBytes, c.ShuffleRemoteBytes)
	}
	if len(st.Tasks) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nTASK\tSTATE\tATTEMPTS\tFAILED\tNODE\tRECORDS IN\tRECORDS OUT\tBYTES IN\tBYTES OUT\tSPILLS\tSHUFFLE BYTES\tFETCHED")
	for _, t := range st.Tasks {
		counters := "-\t-\t-\t-\t-\t-\t-"
		if c := t.Counters; c != nil {
			counters = fmt.Sprintf("%d\t%d\t%d\t%d\t%d\t%d\t%d", c.RecordsIn, c.RecordsOut, c.BytesIn, c.BytesOut, c.Spills, c.ShuffleBytes, c.ShuffleRemoteBytes)
		}
		node := t.Node
		if node == "" {
			node = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", t.Name, t.State, t.Attempts, t.FailedAttempts, node, counters)
	}
	tw.Flush()
}

func nomadStatus(ph nomad.PhaseStatus) string {
	if ph.Stopped {
		return ph.NomadStatus + " (stopped)"
	}
	return ph.NomadStatus
}

// jobArg returns the one argument of a command that names a job.
func jobArg(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", usageErrorf("%s: got %d arguments, want JOB, an ID as 'dockmr list' shows", commandName(c), c.NArg())
	}
	return c.Args().First(), nil
}
