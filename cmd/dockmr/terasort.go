package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/terajob"
)

func terasortCommand() *cli.Command {
	return &cli.Command{
		Name:      "terasort",
		Usage:     "sort TeraGen records by key",
		ArgsUsage: "INDIR OUTDIR",
		Description: `Sorts the 100-byte records of INDIR (a directory, whose files not starting
with '_' or '.' are read, or a file) by their 10-byte keys into OUTDIR as
part-r-00000, part-r-00001, ...: each file is sorted and file-name order is
key order. It samples the input for the reduces' key ranges, as Hadoop's
TeraSort does, and works for both record formats. It prints the checksum of
the output, which equals teragen's for the input.

Examples:
   dockmr terasort /data/tera-in /data/tera-out
   dockmr terasort --reduces 8 --sort-mb 512 /data/tera-in /data/tera-out`,
		Flags: append([]cli.Flag{
			&cli.IntFlag{Name: "maps", Usage: "number of map tasks, a hint", DefaultText: "one per 128 MiB of input"},
			&cli.IntFlag{Name: "reduces", Usage: "number of reduce tasks and output files", DefaultText: "--parallel"},
		}, runFlags()...),
		OnUsageError: onUsageError,
		Action:       terasort,
	}
}

func terasort(c *cli.Context) error {
	args, err := positional(c, "INDIR", "OUTDIR")
	if err != nil {
		return err
	}
	maps, reduces, err := taskCounts(c)
	if err != nil {
		return err
	}
	plan, err := terajob.Sort{Input: args[:1], Output: args[1], Maps: maps, Reduces: reduces, Settings: settings(c)}.Plan()
	if err != nil {
		return err
	}
	return runPlan(c, plan, func(w io.Writer, res *jobs.Result) error {
		printResult(w, res, res.Reduce)
		fmt.Fprintf(w, "checksum %s\n", res.Checksum)
		return nil
	})
}

// taskCounts returns the --maps and --reduces of a command, 0 maps meaning
// that planning decides and reduces defaulting to --parallel.
func taskCounts(c *cli.Context) (maps, reduces int, err error) {
	maps, reduces = c.Int("maps"), c.Int("reduces")
	if !c.IsSet("reduces") {
		reduces = c.Int("parallel")
	}
	if maps < 0 || c.IsSet("maps") && maps == 0 {
		return 0, 0, usageErrorf("%s: --maps %d: want at least 1 map task", commandName(c), maps)
	}
	if reduces < 1 {
		return 0, 0, usageErrorf("%s: --reduces %d: want at least 1 reduce task", commandName(c), reduces)
	}
	return maps, reduces, nil
}
