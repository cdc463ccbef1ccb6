package main

import (
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/spec"
)

func runCommand() *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "run a streaming job described in a job spec",
		ArgsUsage: "JOBSPEC",
		Description: `Runs the job that the HCL file JOBSPEC describes: input, output, and the
commands of its map and (optional) reduce phase. A mapper reads its split's
lines on stdin and prints key<TAB>value lines; a reducer reads those lines
sorted and grouped by key and prints the output lines (Hadoop Streaming).
Relative paths in the spec are relative to its directory. Flags given on
the command line override the spec's settings.

Examples:
   dockmr run examples/wordcount/wordcount.hcl
   dockmr run --output /tmp/counts --sort-mb 64 examples/wordcount/wordcount.hcl
   dockmr run -D mapreduce.output.fileoutputformat.compress=true examples/wordcount/wordcount.hcl

Input files named *.gz, *.bz2 or *.zst are decompressed for the mapper, each
read whole by one map task.`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "output", Usage: "write the output here instead of the spec's output directory"},
			&cli.StringFlag{Name: "output-codec", Usage: "compress the part files: gzip or zstd (part-r-00000.gz), or none"},
			&cli.GenericFlag{Name: "D", Value: &propertyList{}, Usage: "a Hadoop property KEY=VALUE, repeatable (mapreduce.output.fileoutputformat.compress, stream.num.map.output.key.fields, ...)"},
		}, runFlags()...),
		OnUsageError: onUsageError,
		Action:       run,
	}
}

func run(c *cli.Context) error {
	args, err := positional(c, "JOBSPEC")
	if err != nil {
		return err
	}
	job, err := spec.Load(args[0])
	if err != nil {
		return err
	}
	if c.IsSet("output") {
		job.Output = c.String("output")
	}
	overrideSettings(c, &job.Settings)
	if err := streamingFlags(c, &job); err != nil {
		return err
	}
	plan, err := jobs.NewPlan(job)
	if err != nil {
		return err
	}
	return runPlan(c, plan, func(w io.Writer, res *jobs.Result) error {
		counters := res.Map
		if job.Reduce != nil {
			counters = res.Reduce
		}
		printResult(w, res, counters)
		return nil
	})
}

// overrideSettings sets the settings given on the command line.
func overrideSettings(c *cli.Context, s *jobs.Settings) {
	flags := settings(c)
	if c.IsSet("sort-mb") {
		s.SortMB = flags.SortMB
	}
	if c.IsSet("merge-factor") {
		s.MergeFactor = flags.MergeFactor
	}
	if c.IsSet("max-attempts") || s.MaxAttempts == 0 {
		s.MaxAttempts = flags.MaxAttempts
	}
	if c.IsSet("overwrite") {
		s.Overwrite = flags.Overwrite
	}
	if c.IsSet("cache-output") {
		s.CacheOutput = flags.CacheOutput
	}
	if c.IsSet("shuffle") || s.Shuffle == "" {
		s.Shuffle = flags.Shuffle
	}
	if c.IsSet("slowstart") {
		s.SlowStart = flags.SlowStart
	}
}

// streamingFlags applies the flags of a streaming job's options: -D
// properties, then the named flags, which win.
func streamingFlags(c *cli.Context, job *jobs.Job) error {
	props := map[string]string{}
	list, _ := c.Generic("D").(*propertyList)
	for _, kv := range list.values() {
		k, v, err := jobs.ParseProperty(kv)
		if err != nil {
			return usageErrorf("%s: -D: %s", commandName(c), err)
		}
		props[k] = v
	}
	if err := jobs.ApplyProperties(job, props); err != nil {
		return usageErrorf("%s: -D %s", commandName(c), err)
	}
	if c.IsSet("output-codec") {
		codec, err := jobs.ParseOutputCodec(c.String("output-codec"))
		if err != nil {
			return usageErrorf("%s: --output-codec: %s", commandName(c), err)
		}
		job.Settings.OutputCodec = codec
	}
	return nil
}

// propertyList is the values of a repeatable -D flag, kept whole: a value
// may hold commas (-D mapreduce.partition.keypartitioner.options=-k1,2).
type propertyList []string

// Set adds a value.
func (p *propertyList) Set(v string) error { *p = append(*p, v); return nil }

// String lists the values.
func (p *propertyList) String() string {
	if p == nil {
		return ""
	}
	return strings.Join(*p, " ")
}

func (p *propertyList) values() []string {
	if p == nil {
		return nil
	}
	return *p
}
