package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/history"
	"github.com/dockmr/dockmr/jobs/local"
	"github.com/dockmr/dockmr/jobs/nomad"
)

// runners makes the runners that --runner can name. The Nomad runner is
// the default.
var runners = map[string]func(c *cli.Context) (jobs.Runner, error){
	"local": newLocalRunner,
	"nomad": newNomadRunner,
}

// runFlags are the flags of every command that runs a job.
func runFlags() []cli.Flag {
	flags := []cli.Flag{
		&cli.BoolFlag{Name: "local", Usage: "run every task as a process on this machine (same as --runner local)"},
		&cli.StringFlag{Name: "runner", Value: "nomad", EnvVars: []string{"DOCKMR_RUNNER"},
			Usage: "how to run tasks: " + strings.Join(slices.Sorted(maps.Keys(runners)), ", ")},
		&cli.IntFlag{Name: "parallel", Value: runtime.NumCPU(), Usage: "local runner: how many tasks run at once; also the default number of tasks"},
		&cli.BoolFlag{Name: "overwrite", Usage: "replace the contents of an existing output directory when the job commits"},
		&cli.BoolFlag{Name: "cache-output", Usage: "write the output through the page cache, not with direct I/O (teragen always does)"},
		&cli.StringFlag{Name: "shuffle", Value: string(jobs.SharedShuffle), EnvVars: []string{"DOCKMR_SHUFFLE"},
			Usage: "where map output waits for the reduces: shared (the data directory) or node (the map's node, served by its shuffle server)"},
		&cli.Float64Flag{Name: "slowstart", Usage: "with --shuffle node, start the reduces once every map is placed and this fraction of them has committed (0 to 1; 0: after the last map)"},
		&cli.IntFlag{Name: "sort-mb", Value: jobs.DefaultSortMB, Usage: "memory bound of each map task's sort buffer, in MiB; more output spills"},
		&cli.IntFlag{Name: "merge-factor", Value: jobs.DefaultMergeFactor, Usage: "how many sorted runs a merge reads at once"},
		&cli.IntFlag{Name: "max-attempts", Value: jobs.DefaultMaxAttempts, DefaultText: fmt.Sprintf("%d on Nomad, %d with --local", nomadMaxAttempts, jobs.DefaultMaxAttempts),
			Usage: "how many times to try a task before failing the job"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "local runner: show what the tasks print"},
		&cli.BoolFlag{Name: "json", Usage: "print the result as JSON on stdout (with --detach, the job ID)"},
		&cli.StringFlag{Name: "task-bin", EnvVars: []string{"DOCKMR_TASK_BIN"}, Hidden: true,
			Usage: "the task runtime (dockmr-task) the local runner runs; default this program's task command"},
	}
	return append(flags, nomadFlags()...)
}

// checkRunFlags checks the values of the run flags.
func checkRunFlags(c *cli.Context) error {
	for _, f := range []struct {
		name     string
		min, max int
	}{
		{"parallel", 1, 1 << 16},
		{"sort-mb", 1, 4095},
		{"merge-factor", 2, 1 << 16},
		{"max-attempts", 1, 1000},
	} {
		if v := c.Int(f.name); v < f.min || v > f.max {
			return usageErrorf("%s: --%s %d is out of range; want %d to %d", commandName(c), f.name, v, f.min, f.max)
		}
	}
	if _, err := jobs.ParseShuffleMode(c.String("shuffle")); err != nil {
		return usageErrorf("%s: --%v", commandName(c), err)
	}
	if f := c.Float64("slowstart"); f < 0 || f > 1 {
		return usageErrorf("%s: --slowstart %g is out of range; want a fraction of the maps from 0 to 1", commandName(c), f)
	}
	return checkNomadFlags(c)
}

// settings returns the job settings that the flags set.
func settings(c *cli.Context) jobs.Settings {
	return jobs.Settings{
		SortMB:      c.Int("sort-mb"),
		MergeFactor: c.Int("merge-factor"),
		MaxAttempts: maxAttempts(c),
		Overwrite:   c.Bool("overwrite"),
		CacheOutput: c.Bool("cache-output"),
		Shuffle:     jobs.ShuffleMode(c.String("shuffle")),
		SlowStart:   c.Float64("slowstart"),
	}
}

// runnerName is the name of the runner the flags choose.
func runnerName(c *cli.Context) string {
	if c.Bool("local") {
		return "local"
	}
	return c.String("runner")
}

// newRunner returns the runner the flags choose.
func newRunner(c *cli.Context) (jobs.Runner, error) {
	name := runnerName(c)
	mk, ok := runners[name]
	if !ok {
		return nil, usageErrorf("runner %q is not known: use %s", name, strings.Join(slices.Sorted(maps.Keys(runners)), " or "))
	}
	return mk(c)
}

func newLocalRunner(c *cli.Context) (jobs.Runner, error) {
	command := []string{c.String("task-bin")}
	if command[0] == "" {
		self, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("find this program to run tasks with: %w", err)
		}
		command = []string{self, taskCommandName}
	}
	var log io.Writer
	if c.Bool("verbose") {
		log = c.App.ErrWriter
	}
	return &local.Runner{Command: command, Parallel: c.Int("parallel"), Log: log}, nil
}

// runPlan runs a planned job with the runner the flags choose, following
// it to the end, or submits it with --detach. report prints the result of
// a job that ran, and says whether it is good; with --json, the result is
// printed as JSON instead.
func runPlan(c *cli.Context, plan *jobs.Plan, report func(io.Writer, *jobs.Result) error) error {
	if c.IsSet("image") {
		plan.Job.Image = c.String("image")
	}
	if runnerName(c) == "nomad" {
		// Before connecting: a path no task would see is the user's to fix
		// whether or not an agent answers.
		s, err := nomadSettings(c)
		if err != nil {
			return err
		}
		if err := nomad.CheckPaths(plan, s); err != nil {
			return err
		}
	}
	if c.Bool("detach") {
		return detach(c, plan)
	}
	r, err := newRunner(c)
	if err != nil {
		return err
	}
	f := newFollower(r, c.App.ErrWriter)
	rec, res, err := recorder(c, f, r).RunRecorded(c.Context, plan)
	f.end()
	if perr := plan.PublishHistory(context.WithoutCancel(c.Context)); perr != nil {
		fmt.Fprintf(c.App.ErrWriter, "warning: %v\n", perr)
	}
	if errors.Is(err, jobs.ErrOutputExists) {
		return fmt.Errorf("%w; remove it, choose another, or pass --overwrite", err)
	}
	if err != nil && c.Context.Err() != nil {
		return fmt.Errorf("job %s (%s) interrupted: its tasks were stopped and its output removed", plan.Job.Name, plan.ID)
	}
	if err != nil {
		return err
	}
	summary := summarize(res, rec)
	if !c.Bool("json") {
		printSummary(c.App.ErrWriter, summary)
		return report(c.App.Writer, res)
	}
	reportErr := report(io.Discard, res)
	if err := printJSON(c.App.Writer, summary); err != nil {
		return err
	}
	return reportErr
}

// recorder runs jobs with runner, which wraps inner, writing their history
// with the attempts inner lists.
func recorder(c *cli.Context, runner, inner jobs.Runner) *history.Recorder {
	lister, _ := inner.(history.Lister)
	return &history.Recorder{
		Runner: runner, Lister: lister, RunnerName: runnerName(c),
		Cancelled: func(err error) bool { return errors.Is(err, nomad.ErrStopped) },
		Warn:      func(err error) { fmt.Fprintf(c.App.ErrWriter, "warning: %v\n", err) },
	}
}

// positional checks the run flags and returns the command's arguments,
// which must be exactly as many as names. Flags may come before or after
// the arguments (main moves them first); after "--" everything is an
// argument.
func positional(c *cli.Context, names ...string) ([]string, error) {
	if err := checkRunFlags(c); err != nil {
		return nil, err
	}
	args := c.Args().Slice()
	if len(args) != len(names) {
		return nil, usageErrorf("%s: got %d arguments, want %s; run 'dockmr %s --help' for usage",
			commandName(c), len(args), strings.Join(names, " "), commandName(c))
	}
	return args, nil
}

// printJSON prints v as indented JSON.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode JSON: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// printResult prints what a job did.
func printResult(w io.Writer, res *jobs.Result, counters jobs.Counters) {
	fmt.Fprintf(w, "%s: %d records (%d bytes) written to %s in %.2fs\n",
		res.Name, counters.RecordsOut, counters.BytesOut, res.Output, res.Elapsed.Seconds())
}
