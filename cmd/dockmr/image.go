package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dockmr/dockmr/jobs/nomad"
)

func imageCommand() *cli.Command {
	return &cli.Command{
		Name:  "image",
		Usage: "manage the images of tasks on the cluster's nodes",
		Subcommands: []*cli.Command{
			imagePrefetchCommand(),
		},
		OnUsageError: onUsageError,
	}
}

func imagePrefetchCommand() *cli.Command {
	return &cli.Command{
		Name:      "prefetch",
		Usage:     "pull or load an image on every client node ahead of a job",
		ArgsUsage: "IMAGE",
		Description: `Runs a Nomad sysbatch job with one task on every ready client node that has
dockmr-driver healthy. The driver pulls the image (with the node's registry
credentials), or loads it from --load, then the task exits at once. Prints
one line per node: its name, the result (pulled, loaded, present or
failed) and the time it took. Exits non-zero if any node failed.

--load takes a 'docker save' tarball: an http(s) URL the nodes download
it from (a Nomad artifact), or an absolute path on storage every node
mounts, under the driver's allowed_mounts (such as the dev cluster's data
directory).

Examples:
   dockmr image prefetch registry.lan:5000/team/app:1.2
   docker save team/app:1.2 -o $DOCKMR_DATA_DIR/app.tar
   dockmr image prefetch --load $DOCKMR_DATA_DIR/app.tar team/app:1.2
   dockmr image prefetch --load https://files.lan/images/app.tar team/app:1.2`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "load", Usage: "load the image from this tarball (URL or shared absolute path) instead of pulling it"},
			&cli.BoolFlag{Name: "force", Usage: "pull or load even on nodes that have the image"},
			&cli.StringSliceFlag{Name: "datacenter", Usage: "Nomad datacenter to prefetch in (repeatable); default all"},
			&cli.DurationFlag{Name: "timeout", Value: 10 * time.Minute, Usage: "give up after this long"},
		},
		OnUsageError: onUsageError,
		Action:       imagePrefetch,
	}
}

func imagePrefetch(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageErrorf("image prefetch: want one IMAGE argument, got %d; run 'dockmr image prefetch --help' for usage", c.NArg())
	}
	if c.Duration("timeout") <= 0 {
		return usageErrorf("image prefetch: --timeout %s is not positive", c.Duration("timeout"))
	}
	client, err := nomad.Connect()
	if err != nil {
		return err
	}
	results, err := nomad.Prefetch(c.Context, client, nomad.PrefetchOptions{
		Image:       c.Args().First(),
		Load:        c.String("load"),
		Force:       c.Bool("force"),
		Datacenters: c.StringSlice("datacenter"),
		Timeout:     c.Duration("timeout"),
	})
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NODE\tRESULT\tTIME\tDETAIL")
	failed := 0
	for _, r := range results {
		if !r.OK() {
			failed++
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", r.Node, r.Result, r.Duration.Round(time.Millisecond), oneLine(r.Detail))
	}
	w.Flush()
	if failed > 0 {
		return fmt.Errorf("image prefetch: %s failed on %d of %d nodes", c.Args().First(), failed, len(results))
	}
	return nil
}
