package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/terajob"
)

func teravalidateCommand() *cli.Command {
	return &cli.Command{
		Name:      "teravalidate",
		Usage:     "check that TeraSort output is sorted",
		ArgsUsage: "INDIR REPORTDIR",
		Description: `Checks that the records of INDIR are sorted within each file and across
files in name order, writes the report (the checksum, then one line per
error) to REPORTDIR/part-r-00000, prints the checksum, and exits with
status 1 if anything is out of order. Compare the checksum with teragen's:
sorting keeps it.

Examples:
   dockmr teravalidate /data/tera-out /data/tera-report
   dockmr teravalidate --maps 16 /data/tera-out /data/tera-report`,
		Flags: append([]cli.Flag{
			&cli.IntFlag{Name: "maps", Usage: "number of map tasks, a hint (at least one per file)", DefaultText: "--parallel"},
		}, runFlags()...),
		OnUsageError: onUsageError,
		Action:       teravalidate,
	}
}

func teravalidate(c *cli.Context) error {
	args, err := positional(c, "INDIR", "REPORTDIR")
	if err != nil {
		return err
	}
	maps, _, err := taskCounts(c)
	if err != nil {
		return err
	}
	if !c.IsSet("maps") {
		maps = c.Int("parallel") // validation streams, so splits may be large
	}
	plan, err := jobs.NewPlan(terajob.Validate{Input: args[:1], Output: args[1], Maps: maps, Settings: settings(c)}.Job())
	if err != nil {
		return err
	}
	return runPlan(c, plan, func(w io.Writer, res *jobs.Result) error {
		rep, err := terajob.ReadReport(res.Output)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "teravalidate: %d records checked in %.2fs\nchecksum %s\n",
			res.Map.RecordsIn, res.Elapsed.Seconds(), rep.Checksum)
		if !rep.OK() {
			return fmt.Errorf("%s is not sorted: %d errors, listed in %s; the first: %s",
				args[0], len(rep.Errors), rep.Path, rep.Errors[0])
		}
		return nil
	})
}
