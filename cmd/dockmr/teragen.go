package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/terajob"
	"github.com/dockmr/dockmr/tera"
)

func teragenCommand() *cli.Command {
	return &cli.Command{
		Name:      "teragen",
		Usage:     "generate TeraSort input: ROWS records of 100 bytes",
		ArgsUsage: "ROWS OUTDIR",
		Description: `Writes ROWS records into OUTDIR as part-m-00000, part-m-00001, ..., one
file per map task, and prints their checksum. ROWS takes a k, m, b or t
suffix (powers of 1000). The binary format is Hadoop TeraGen's, ascii is
'gensort -a's; either way the output is the same whatever the number of
maps. OUTDIR must not exist, unless --overwrite.

Examples:
   dockmr teragen 10m /data/tera-in              # 1 GB, Hadoop's format
   dockmr teragen --maps 8 --format ascii 1b /data/tera-in`,
		Flags: append([]cli.Flag{
			&cli.IntFlag{Name: "maps", Usage: "number of map tasks and output files", DefaultText: "--parallel"},
			&cli.StringFlag{Name: "format", Value: "binary", Usage: "record format: binary (Hadoop TeraGen) or ascii (gensort -a)"},
		}, runFlags()...),
		OnUsageError: onUsageError,
		Action:       teragen,
	}
}

func teragen(c *cli.Context) error {
	args, err := positional(c, "ROWS", "OUTDIR")
	if err != nil {
		return err
	}
	rows, err := terajob.ParseRows(args[0])
	if err != nil {
		return usageErrorf("teragen: %v", err)
	}
	format, err := tera.ParseFormat(c.String("format"))
	if err != nil {
		return usageErrorf("teragen: --format: %v", err)
	}
	maps := c.Int("maps")
	if !c.IsSet("maps") {
		maps = c.Int("parallel")
	}
	if maps < 1 {
		return usageErrorf("teragen: --maps %d: want at least 1 map task", maps)
	}
	gen := terajob.Gen{Rows: rows, Format: format, Output: args[1], Maps: maps, Settings: settings(c)}
	plan, err := jobs.NewPlan(gen.Job())
	if err != nil {
		return err
	}
	return runPlan(c, plan, func(w io.Writer, res *jobs.Result) error {
		printResult(w, res, res.Map)
		fmt.Fprintf(w, "checksum %s\n", res.Checksum)
		return nil
	})
}
