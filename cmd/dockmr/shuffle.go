package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dockmr/dockmr/jobs/nomad"
	"github.com/dockmr/dockmr/shuffle"
)

func shuffleCommand() *cli.Command {
	return &cli.Command{
		Name:  "shuffle",
		Usage: "manage the shuffle servers that serve map output from the nodes",
		Subcommands: []*cli.Command{{
			Name:  "start",
			Usage: "run a shuffle server on every client node that has a shuffle directory",
			Description: `Registers the Nomad system job dockmr-shuffle, which runs 'dockmr-task
shuffle-serve' through dockmr-driver on every client node whose meta names
a shuffle directory (dockmr_shuffle_dir, also in the driver's
allowed_mounts) and address (dockmr_shuffle_addr, host:port, port 13562 by
convention). Nomad restarts a server that dies and starts one on every
node that joins. Jobs run with --shuffle node keep their map output there.
With --wait, returns once a server runs on every such node.

Examples:
   dockmr shuffle start --wait
   dockmr shuffle start --image registry.lan/dockmr/examples:1.0 --max-age 6h`,
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "image", Value: exampleImage, EnvVars: []string{"DOCKMR_IMAGE"}, Usage: "image the servers run in; dockmr-task comes from the node"},
				&cli.DurationFlag{Name: "max-age", Value: shuffle.DefaultMaxAge, Usage: "remove a job's data from a node once unchanged for this long (for jobs whose end the node missed)"},
				&cli.BoolFlag{Name: "wait", Usage: "wait until a server runs on every node with a shuffle directory"},
				&cli.DurationFlag{Name: "timeout", Value: 2 * time.Minute, Usage: "with --wait, give up after this long"},
			},
			OnUsageError: onUsageError,
			Action:       shuffleStart,
		}},
		OnUsageError: onUsageError,
	}
}

func shuffleStart(c *cli.Context) error {
	if c.Args().Present() {
		return usageErrorf("shuffle start: unexpected argument %q", c.Args().First())
	}
	if c.Duration("max-age") <= 0 {
		return usageErrorf("shuffle start: --max-age %s is not positive", c.Duration("max-age"))
	}
	client, err := nomad.Connect()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	nodes, err := nomad.StartShuffle(ctx, client, nomad.ShuffleOptions{Image: c.String("image"), MaxAge: c.Duration("max-age")}, c.Bool("wait"))
	if err != nil {
		return err
	}
	addrs := make([]string, 0, len(nodes))
	for _, a := range nodes {
		addrs = append(addrs, a)
	}
	slices.Sort(addrs)
	fmt.Fprintf(c.App.Writer, "shuffle servers on %d node(s): %v\n", len(addrs), addrs)
	return nil
}
