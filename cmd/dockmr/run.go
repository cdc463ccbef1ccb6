package main

import "github.com/urfave/cli/v2"

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a streaming job described in a job spec",
		ArgsUsage: "JOBSPEC",
		Flags:     runFlags(),
		Action: func(c *cli.Context) error {
			return usageErrorf("run: not available yet")
		},
	}
}
