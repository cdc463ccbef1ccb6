package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/dockmr/dockmr/jobs/nomad"
)

func listCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "list the jobs that Nomad knows, newest first",
		Description: `Lists the dockmr jobs of the Nomad cluster that NOMAD_ADDR names: their
ID, name, state (running, complete, failed or cancelled), tasks done and
output directory. Nomad forgets finished jobs at its garbage collection.

Examples:
   dockmr list
   dockmr list --json`,
		Flags:        []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "print the jobs as JSON"}},
		OnUsageError: onUsageError,
		Action:       list,
	}
}

func list(c *cli.Context) error {
	if c.Args().Present() {
		return usageErrorf("list: takes no arguments, got %q", c.Args().Slice())
	}
	client, err := nomad.Connect()
	if err != nil {
		return err
	}
	all, err := nomad.List(client)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		if all == nil {
			all = []*nomad.JobStatus{}
		}
		return printJSON(c.App.Writer, all)
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTATE\tTASKS\tOUTPUT")
	for _, st := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", st.ID, st.Name, st.State, tasksDone(st), st.Output)
	}
	return tw.Flush()
}

// tasksDone is "done/tasks" over the job's map and reduce phases.
func tasksDone(st *nomad.JobStatus) string {
	done, tasks := 0, 0
	for _, ph := range st.Phases {
		if ph.Phase != nomad.AMPhase {
			done += ph.Done
			tasks += ph.Tasks
		}
	}
	return fmt.Sprintf("%d/%d", done, tasks)
}
