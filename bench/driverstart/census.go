package main

import (
	"strings"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/e2e/nomadtest"
)

// Kinds of process a one-node cluster runs, as told apart by the census.
const (
	kindAgent        = "nomad agent"
	kindLogmon       = "nomad logmon"
	kindDockerLogger = "nomad docker_logger"
	kindPlugin       = "dockmr-driver plugin"
	kindKeeper       = "dockmr-driver FIFO keeper"
	kindOther        = "other"
)

// census counts a cluster's processes and their memory by kind.
type census struct {
	count map[string]int
	rss   map[string]uint64
	// pss divides shared pages among their sharers: the fair share of
	// memory when many processes run the same binary.
	pss map[string]uint64
}

// takeCensus classifies procs. The FIFO keeper is machine-wide, so keepers
// are passed separately: whichever cluster started it, it serves them all.
func takeCensus(procs, keepers []nomadtest.Process) census {
	c := census{count: map[string]int{}, rss: map[string]uint64{}, pss: map[string]uint64{}}
	seen := map[int]bool{}
	for _, p := range append(procs, keepers...) {
		if seen[p.PID] {
			continue
		}
		seen[p.PID] = true
		k := kindOf(p)
		c.count[k]++
		c.rss[k] += p.RSS
		c.pss[k] += p.PSS
	}
	return c
}

func kindOf(p nomadtest.Process) string {
	switch {
	case p.Name() == contract.DriverName && p.IsFIFOKeeper():
		return kindKeeper
	case p.Name() == contract.DriverName:
		return kindPlugin
	case p.Name() == "nomad" && len(p.Args) > 1:
		switch p.Args[1] {
		case "agent":
			return kindAgent
		case "logmon":
			return kindLogmon
		case "docker_logger":
			return kindDockerLogger
		}
	}
	return kindOther
}

// perTask is how many processes of each kind running n tasks added, per task.
func perTask(before, during census, n int) map[string]float64 {
	out := map[string]float64{}
	for k, v := range during.count {
		if d := v - before.count[k]; d != 0 {
			out[k] = float64(d) / float64(n)
		}
	}
	return out
}

// driverExtra is the per-task process count a driver adds beyond Nomad's own
// logmon, which every task of every driver has.
func driverExtra(per map[string]float64) float64 {
	var sum float64
	for k, v := range per {
		if k != kindLogmon {
			sum += v
		}
	}
	return sum
}

func describeKinds(per map[string]float64) string {
	var parts []string
	for _, k := range []string{kindLogmon, kindDockerLogger, kindPlugin, kindKeeper, kindAgent, kindOther} {
		if v, ok := per[k]; ok {
			parts = append(parts, strings.TrimPrefix(k, "nomad ")+" "+trimFloat(v))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
