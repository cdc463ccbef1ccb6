package main

import (
	"github.com/urfave/cli/v2"

	"github.com/dockmr/dockmr/jobs/nomad"
)

func logsCommand() *cli.Command {
	return &cli.Command{
		Name:      "logs",
		Usage:     "print what a task of a job wrote on stdout and stderr",
		ArgsUsage: "JOB [TASK]",
		Description: `Prints the stdout and then the stderr of the latest attempt of TASK: m-00003
is map task 3, r-00000 reduce task 0. Without TASK, prints the log of a
detached job's application master, which shows the job's progress.

Examples:
   dockmr logs job_20260101120000_0123abcd
   dockmr logs --stderr job_20260101120000_0123abcd m-00003`,
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
