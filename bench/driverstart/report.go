package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/e2e/nomadtest"
)

// goalRatio is the target for dockmr-driver's median start latency relative
// to the docker driver's.
const goalRatio = 0.5

// setup describes a run, for the report's heading.
type setup struct {
	tasks, rounds, cpus  int
	image, nomad, plugin string
	when                 time.Time
}

// driverResult accumulates one driver's batches.
type driverResult struct {
	driver    string
	latencies []latency
	// last is the final batch, whose census the report shows.
	last batch
}

func (r *driverResult) add(b batch) {
	r.latencies = append(r.latencies, b.latencies...)
	r.last = b
}

// report prints the comparison of the two drivers in results; floor, the
// mock driver's run, shows what Nomad's client costs without any driver work.
func report(w io.Writer, s setup, results []*driverResult, floor *driverResult, keepers []nomadtest.Process) {
	fmt.Fprintf(w, "driver-start: %d tasks at once per batch, %d batches per driver, image %s, host network, %d CPUs, %s\n",
		s.tasks, s.rounds, s.image, s.cpus, s.when.UTC().Format(time.RFC3339))
	fmt.Fprintf(w, "  agent %s, plugin %s\n\n", s.nomad, s.plugin)
	reportLatency(w, results, floor)
	reportProcesses(w, s, results, keepers)
	reportMemory(w, s, results)
}

func reportLatency(w io.Writer, results []*driverResult, floor *driverResult) {
	fmt.Fprintln(w, "Received -> Started latency (split at Task Setup: client queueing | task hooks + driver start)")
	fmt.Fprintf(w, "  %-15s %6s %9s %9s   %-21s\n", "driver", "tasks", "median", "p90", "median split")
	medians := map[string]time.Duration{}
	rows := results
	if floor != nil {
		rows = append(rows[:len(rows):len(rows)], floor)
	}
	for _, r := range rows {
		total, toSetup, fromSetup := split(r.latencies)
		medians[r.driver] = quantile(total, 0.5)
		fmt.Fprintf(w, "  %-15s %6d %8.3fs %8.3fs   %.3fs | %.3fs\n", r.driver, len(r.latencies),
			medians[r.driver].Seconds(), quantile(total, 0.9).Seconds(),
			quantile(toSetup, 0.5).Seconds(), quantile(fromSetup, 0.5).Seconds())
	}
	a, b := results[0], results[1]
	if medians[b.driver] > 0 {
		ratio := medians[a.driver].Seconds() / medians[b.driver].Seconds()
		verdict := "met"
		if ratio > goalRatio {
			verdict = "NOT met"
		}
		fmt.Fprintf(w, "  ratio of medians %s / %s: %.2f (goal <= %.2f: %s)\n", a.driver, b.driver, ratio, goalRatio, verdict)
	}
	if floor != nil {
		f := medians[floor.driver]
		if da, db := medians[a.driver]-f, medians[b.driver]-f; db > 0 {
			fmt.Fprintf(w, "  above the %s floor (Nomad's own cost): %s %.3fs, %s %.3fs, ratio %.2f\n",
				floor.driver, a.driver, da.Seconds(), b.driver, db.Seconds(), da.Seconds()/db.Seconds())
		}
	}
}

func reportProcesses(w io.Writer, s setup, results []*driverResult, keepers []nomadtest.Process) {
	fmt.Fprintf(w, "\nProcesses added per running task (Nomad's own logmon is 1 per task for every driver)\n")
	for _, r := range results {
		per := perTask(r.last.before, r.last.during, s.tasks)
		fmt.Fprintf(w, "  %-15s %.2f beyond logmon   (%s)\n", r.driver, driverExtra(per), describeKinds(per))
	}
	if len(keepers) > 0 {
		var pss uint64
		for _, k := range keepers {
			pss += k.PSS
		}
		fmt.Fprintf(w, "  machine-wide: %d dockmr-driver FIFO keeper process(es), %s PSS, shared by every task and agent\n",
			len(keepers), mbShort(pss))
	}
}

func reportMemory(w io.Writer, s setup, results []*driverResult) {
	fmt.Fprintf(w, "\nMemory, last batch, as PSS (RSS): before the burst, while %d tasks run, after they stopped\n", s.tasks)
	for _, r := range results {
		before, during, after := r.last.before, r.last.during, r.last.after
		kind := kindPlugin
		if r.driver != contract.DriverName {
			kind = kindDockerLogger
		}
		fmt.Fprintf(w, "  %s: %s processes\n", r.driver, kind)
		fmt.Fprintf(w, "    before %s  during %s  after %s  (%+.2f MB PSS per task, %d such processes while running)\n",
			mem(before, kind), mem(during, kind), mem(after, kind),
			perTaskMB(before.pss[kind], during.pss[kind], s.tasks), during.count[kind])
		fmt.Fprintf(w, "  %s: both agents\n", r.driver)
		fmt.Fprintf(w, "    before %s  during %s  after %s\n", mem(before, kindAgent), mem(during, kindAgent), mem(after, kindAgent))
	}
}

// split returns the three series of a set of latencies.
func split(ls []latency) (total, toSetup, fromSetup []time.Duration) {
	for _, l := range ls {
		total = append(total, l.total)
		toSetup = append(toSetup, l.toSetup)
		fromSetup = append(fromSetup, l.fromSetup)
	}
	return total, toSetup, fromSetup
}

// mem renders the memory of one kind of process in a census.
func mem(c census, kind string) string {
	return fmt.Sprintf("%s (%s)", mbShort(c.pss[kind]), mbShort(c.rss[kind]))
}

func mbShort(b uint64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

func perTaskMB(before, during uint64, tasks int) float64 {
	return (float64(during) - float64(before)) / (1 << 20) / float64(tasks)
}

// trimFloat prints v with at most two decimals and no trailing zeros.
func trimFloat(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
