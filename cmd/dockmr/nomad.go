package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/nomad"
)

// DefaultImage is the image tasks run in when neither --image nor the job
// names one: the example image that `make image` builds.
const DefaultImage = "dockmr/examples:dev"

// nomadMaxAttempts is the Nomad runner's default of --max-attempts,
// Hadoop's: on a cluster, a failed container often succeeds elsewhere.
const nomadMaxAttempts = 4

// nomadFlags are the flags of the Nomad runner.
func nomadFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "image", Value: DefaultImage, EnvVars: []string{"DOCKMR_IMAGE"},
			Usage: "container image of the tasks, unless the job spec names one (a phase's image still wins)"},
		&cli.StringSliceFlag{Name: "data-dir", EnvVars: []string{"DOCKMR_DATA_DIR"},
			Usage: "shared directory that every Nomad client sees at the same path, mounted into every task; input and output must be under it (repeatable)"},
		&cli.StringSliceFlag{Name: "datacenter", Usage: "Nomad datacenter to run in (repeatable); default all"},
		&cli.IntFlag{Name: "cpu", Usage: "CPU of each task in MHz", DefaultText: strconv.Itoa(contract.DefaultCPU)},
		&cli.IntFlag{Name: "memory", Usage: "memory each task reserves, in MiB", DefaultText: "1.5 × --sort-mb + 64"},
		&cli.IntFlag{Name: "memory-max", Usage: "memory each task may use when the node has it free (page cache included), in MiB; needs memory oversubscription on the Nomad servers", DefaultText: "4 × --memory, at least 2048"},
		&cli.BoolFlag{Name: "detach", Aliases: []string{"d"}, Usage: "submit the job, print its ID and return; see 'dockmr status'"},
		&cli.DurationFlag{Name: "nomad-outage-wait", Value: nomad.DefaultOutageWait,
			Usage: "how long a running job waits for a Nomad that does not answer (a server restarting) before it fails"},
	}
}

// checkNomadFlags checks the Nomad runner's flags.
func checkNomadFlags(c *cli.Context) error {
	if cpu := c.Int("cpu"); cpu < 0 || cpu > 1<<20 {
		return usageErrorf("%s: --cpu %d is out of range; want 1 to %d MHz", commandName(c), cpu, 1<<20)
	}
	if mem := c.Int("memory"); c.IsSet("memory") && (mem < 32 || mem > 1<<22) {
		return usageErrorf("%s: --memory %d is out of range; want 32 to %d MiB", commandName(c), mem, 1<<22)
	}
	if limit := c.Int("memory-max"); c.IsSet("memory-max") && (limit < 32 || limit > 1<<22) {
		return usageErrorf("%s: --memory-max %d is out of range; want 32 to %d MiB", commandName(c), limit, 1<<22)
	}
	if d := c.Duration("nomad-outage-wait"); d < time.Second || d > 24*time.Hour {
		return usageErrorf("%s: --nomad-outage-wait %s is out of range; want 1s to 24h", commandName(c), d)
	}
	if c.Bool("detach") && runnerName(c) != "nomad" {
		return usageErrorf("%s: --detach needs the Nomad runner; drop --local or --runner %s", commandName(c), runnerName(c))
	}
	return nil
}

// nomadSettings returns the settings of the Nomad runner.
func nomadSettings(c *cli.Context) (nomad.Settings, error) {
	s := nomad.Settings{
		Image:       c.String("image"),
		Datacenters: c.StringSlice("datacenter"),
		CPU:         c.Int("cpu"),
		MemoryMB:    c.Int("memory"),
		MemoryMaxMB: c.Int("memory-max"),
		OutageWait:  c.Duration("nomad-outage-wait"),
	}
	for _, d := range c.StringSlice("data-dir") {
		if d == "" {
			continue // DOCKMR_DATA_DIR set but empty
		}
		abs, err := filepath.Abs(d)
		if err != nil {
			return s, fmt.Errorf("--data-dir %q: %w", d, err)
		}
		if !slices.Contains(s.DataDirs, abs) {
			s.DataDirs = append(s.DataDirs, abs)
		}
	}
	return s, nil
}

// maxAttempts is --max-attempts, or the chosen runner's default.
func maxAttempts(c *cli.Context) int {
	if c.IsSet("max-attempts") || runnerName(c) != "nomad" {
		return c.Int("max-attempts")
	}
	return nomadMaxAttempts
}

func newNomadRunner(c *cli.Context) (jobs.Runner, error) {
	s, err := nomadSettings(c)
	if err != nil {
		return nil, err
	}
	client, err := nomad.Connect()
	if err != nil {
		return nil, err
	}
	return &nomad.Runner{Client: client, Settings: s}, nil
}

// detach submits a planned job to run on its own and prints its ID.
func detach(c *cli.Context, plan *jobs.Plan) error {
	s, err := nomadSettings(c)
	if err != nil {
		return err
	}
	client, err := nomad.Connect()
	if err != nil {
		return err
	}
	// The application master would find out too, but only in its log.
	if _, err := os.Stat(plan.Job.Output); err == nil && !plan.Job.Settings.Overwrite {
		return fmt.Errorf("%w: %s; remove it, choose another, or pass --overwrite", jobs.ErrOutputExists, plan.Job.Output)
	}
	if err := nomad.Submit(c.Context, client, plan, s); err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c.App.Writer, map[string]string{"id": plan.ID, "nomad_job": nomad.AMJobID(plan.ID)})
	}
	fmt.Fprintln(c.App.Writer, plan.ID)
	return nil
}
