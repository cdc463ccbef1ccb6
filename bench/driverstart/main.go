// Command driverstart measures, on one Nomad cluster, how long dockmr-driver
// and Nomad's docker driver take to start a burst of trivial tasks (same
// local image, host network), and what each adds in processes and memory
// per running task. bench/driver-start.sh runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"time"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/e2e/nomadtest"
	"github.com/dockmr/dockmr/internal/testimage"
)

// drivers are compared in this order; rounds rotate it so none always runs
// on a warmer machine. Nomad's mock driver starts nothing: its latency is
// the floor that Nomad's client alone costs, which no driver can go below.
var drivers = []string{contract.DriverName, "docker", mockDriver}

const mockDriver = "mock_driver"

func main() {
	tasks := flag.Int("tasks", 20, "tasks started at once per batch")
	rounds := flag.Int("rounds", 3, "batches per driver, alternating drivers")
	flag.Parse()
	if *tasks < 1 || *rounds < 1 {
		fmt.Fprintf(os.Stderr, "driver-start: -tasks %d and -rounds %d must both be at least 1\n", *tasks, *rounds)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, *tasks, *rounds)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "driver-start:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, tasks, rounds int) error {
	image, err := testimage.Ensure(ctx)
	if err != nil {
		return fmt.Errorf("test image: %w", err)
	}
	bins, err := nomadtest.FindBinaries()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "starting a Nomad cluster (%s)...\n", bins.Nomad)
	c, err := nomadtest.Start(ctx, nomadtest.Options{
		Binaries:    bins,
		WaitDrivers: drivers,
	})
	if err != nil {
		return err
	}
	defer c.Close()

	results := map[string]*driverResult{}
	for _, d := range drivers {
		results[d] = &driverResult{driver: d}
	}
	for r := range rounds {
		for i := range drivers {
			d := drivers[(i+r)%len(drivers)]
			fmt.Fprintf(os.Stderr, "round %d/%d: %d %s tasks...\n", r+1, rounds, tasks, d)
			b, err := runBatch(ctx, c, d, image, tasks)
			if err != nil {
				return fmt.Errorf("round %d, %s: %w\nNomad log: %s", r+1, d, err, c.LogPath())
			}
			results[d].add(b)
		}
	}
	keepers, err := nomadtest.FIFOKeepers()
	if err != nil {
		return err
	}
	report(os.Stdout, setup{
		tasks: tasks, rounds: rounds, image: image, cpus: runtime.NumCPU(),
		nomad: bins.Nomad, plugin: bins.Driver(), when: time.Now(),
	}, []*driverResult{results[drivers[0]], results[drivers[1]]}, results[mockDriver], keepers)
	return nil
}
