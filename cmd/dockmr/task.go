package main

import (
	"github.com/urfave/cli/v2"

	"github.com/dockmr/dockmr/jobs/task"
)

// taskCommandName is the hidden command that runs one task, the local
// runner's way of running the task runtime without a second binary.
const taskCommandName = "task"

func taskCommand() *cli.Command {
	return &cli.Command{
		Name:            taskCommandName,
		Usage:           "run one task of a planned job (what dockmr-task does)",
		Hidden:          true,
		SkipFlagParsing: true,
		HideHelp:        true,
		Action: func(c *cli.Context) error {
			if code := task.Main(c.Context, c.Args().Slice(), c.App.ErrWriter); code != 0 {
				return exitStatus(code)
			}
			return nil
		},
	}
}
