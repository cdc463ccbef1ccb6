package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dockmr/dockmr/jobs/history"
	"github.com/dockmr/dockmr/jobs/nomad"
	"github.com/dockmr/dockmr/storage"
)

func logsCommand() *cli.Command {
	return &cli.Command{
		Name:      "logs",
		Usage:     "print what a task of a job wrote on stdout and stderr",
		ArgsUsage: "JOB|OUTDIR [TASK]",
		Description: `Prints the stdout and then the stderr of the latest attempt of TASK: m-00003
is map task 3, r-00000 reduce task 0. Without TASK, prints the log of a
detached job's application master, which shows the job's progress.

Given a job's output directory (or a history file) instead of a job ID, as
for --local jobs, prints what the job's history keeps: the end of the
stderr (its last lines, up to 4 KiB) of each failed attempt of TASK, or of
every failed attempt without TASK.

Examples:
   dockmr logs job_20260101120000_0123abcd
   dockmr logs --stderr job_20260101120000_0123abcd m-00003
   dockmr logs /data/wc-out m-00000`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "stdout", Usage: "print only stdout"},
			&cli.BoolFlag{Name: "stderr", Usage: "print only stderr"},
		},
		OnUsageError: onUsageError,
		Action:       logs,
	}
}

func logs(c *cli.Context) error {
	if c.NArg() < 1 || c.NArg() > 2 {
		return usageErrorf("logs: got %d arguments, want JOB [TASK]", c.NArg())
	}
	id, task := c.Args().Get(0), c.Args().Get(1)
	if task != "" {
		if _, _, err := nomad.ParseTask(task); err != nil {
			return usageErrorf("logs: %v", err)
		}
	}
	if storage.IsURL(id) {
		file, done, err := s3History(c.Context, id)
		if err != nil {
			return err
		}
		defer done()
		return historyLogs(c, file, task)
	}
	if strings.ContainsRune(id, filepath.Separator) || isPath(id) {
		return historyLogs(c, id, task)
	}
	streams := []struct {
		name string
		out  bool
	}{{"stdout", !c.Bool("stderr") || c.Bool("stdout")}, {"stderr", !c.Bool("stdout") || c.Bool("stderr")}}
	client, err := nomad.Connect()
	if err != nil {
		return err
	}
	for _, s := range streams {
		if !s.out {
			continue
		}
		w := c.App.Writer
		if s.name == "stderr" {
			w = c.App.ErrWriter
		}
		if err := nomad.Logs(c.Context, client, id, task, s.name, w); err != nil {
			return err
		}
	}
	return nil
}

// historyLogs prints the ends of stderr that the history of the job whose
// output directory (or history file) is path keeps.
func historyLogs(c *cli.Context, path, task string) error {
	if c.Bool("stdout") && !c.Bool("stderr") {
		return usageErrorf("logs: a job's history keeps no stdout, only the end of failed attempts' stderr; drop --stdout")
	}
	file, err := history.Locate(path, "")
	if err != nil {
		return err
	}
	rec, err := history.Read(file)
	if err != nil {
		return err
	}
	n, err := history.WriteStderrTails(c.App.ErrWriter, rec, task)
	if err != nil || n > 0 {
		return err
	}
	of := ""
	if task != "" {
		of = " for " + task
	}
	_, err = fmt.Fprintf(c.App.ErrWriter, "job %s (%s): no stderr kept%s; the history keeps the end of the stderr of failed attempts only\n", rec.ID, rec.State, of)
	return err
}
