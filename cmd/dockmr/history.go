package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dockmr/dockmr/jobs/history"
	"github.com/dockmr/dockmr/jobs/nomad"
)

func historyCommand() *cli.Command {
	return &cli.Command{
		Name:      "history",
		Usage:     "show what every task attempt of an ended job did, as a table or a timeline page",
		ArgsUsage: "JOB",
		Description: `Every job leaves its history beside its output when it ends, committed or
not: OUTPUT/_history/JOB.json. This prints it as a table: the job's counters
and one row per task attempt (node, start, duration, state, records and bytes
in and out, spills, shuffle bytes). --html FILE writes a self-contained page
with a timeline of the attempts, grouped by node.

JOB is a job ID as 'dockmr list' shows (the output is found through Nomad),
a job's output directory (its newest history), or a history file; use a
path for --local jobs.

Examples:
   dockmr history job_20260101120000_0123abcd
   dockmr history --html terasort.html /data/tera-out
   dockmr history --json /data/tera-out/_history/job_20260101120000_0123abcd.json`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the history as JSON"},
			&cli.StringFlag{Name: "html", Usage: "write the timeline page to `FILE` instead of printing the table"},
		},
		OnUsageError: onUsageError,
		Action:       showHistory,
	}
}

func showHistory(c *cli.Context) error {
	arg, err := jobArgOrPath(c)
	if err != nil {
		return err
	}
	arg, done, err := s3History(c.Context, arg)
	if err != nil {
		return err
	}
	defer done()
	path, err := historyPath(arg)
	if err != nil {
		return err
	}
	rec, err := history.Read(path)
	if err != nil {
		return err
	}
	if out := c.String("html"); out != "" {
		return writeHistoryPage(out, rec)
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, rec)
	}
	return history.WriteTable(c.App.Writer, rec)
}

// jobArgOrPath returns the one argument of history: a job ID or a path.
func jobArgOrPath(c *cli.Context) (string, error) {
	if c.NArg() != 1 {
		return "", usageErrorf("history: got %d arguments, want JOB: a job ID as 'dockmr list' shows, an output directory or a history file", c.NArg())
	}
	return c.Args().First(), nil
}

// historyPath finds the history file that arg names: a path is read as it
// is; a job ID is looked up in Nomad for its output directory.
func historyPath(arg string) (string, error) {
	if strings.ContainsRune(arg, filepath.Separator) || isPath(arg) {
		return history.Locate(arg, "")
	}
	client, err := nomad.Connect()
	if err != nil {
		return "", err
	}
	st, err := nomad.Status(client, arg)
	if err != nil {
		return "", fmt.Errorf("%w; for a --local job, or one Nomad has forgotten, pass its output directory", err)
	}
	path := history.Path(st.Output, st.ID)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if st.State == nomad.StateRunning {
			return "", fmt.Errorf("job %s is running; its history is written to %s when it ends", st.ID, path)
		}
		return "", fmt.Errorf("job %s (%s) has no history at %s: the output directory is not visible from here, or the job was cancelled before it ran", st.ID, st.State, path)
	}
	return path, nil
}

func isPath(arg string) bool {
	_, err := os.Stat(arg)
	return err == nil
}

// writeHistoryPage writes the page to a temporary file first, so that a
// browser reloading it never sees half a page.
func writeHistoryPage(out string, rec *history.Record) error {
	tmp, err := os.CreateTemp(filepath.Dir(out), ".dockmr-history-*.html")
	if err != nil {
		return fmt.Errorf("--html %s: %w", out, err)
	}
	defer os.Remove(tmp.Name())
	if err := history.WriteHTML(tmp, rec); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("--html %s: %w", out, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("--html %s: %w", out, err)
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return fmt.Errorf("--html %s: %w", out, err)
	}
	return nil
}
