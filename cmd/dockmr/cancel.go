package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/dockmr/dockmr/jobs/nomad"
)

func cancelCommand() *cli.Command {
	return &cli.Command{
		Name:      "cancel",
		Usage:     "stop a job and remove what it wrote",
		ArgsUsage: "JOB",
		Description: `Stops every Nomad job of JOB, its application master first, waits until
their containers are gone, then removes the job's staging directory and
the output directory the job created. A job that has committed its output
is left alone.

Example:
   dockmr cancel job_20260101120000_0123abcd`,
		OnUsageError: onUsageError,
		Action:       cancel,
	}
}

func cancel(c *cli.Context) error {
	id, err := jobArg(c)
	if err != nil {
		return err
	}
	client, err := nomad.Connect()
	if err != nil {
		return err
	}
	if err := nomad.Cancel(c.Context, client, id); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "job %s cancelled\n", id)
	return nil
}
