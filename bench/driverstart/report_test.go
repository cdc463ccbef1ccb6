package main

import (
	"strings"
	"testing"
	"time"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/contract"
)

func TestReport(t *testing.T) {
	lat := func(totals ...time.Duration) []latency {
		var out []latency
		for _, d := range totals {
			out = append(out, latency{total: d, toSetup: d / 4, fromSetup: d - d/4})
		}
		return out
	}
	empty := census{count: map[string]int{}, rss: map[string]uint64{}, pss: map[string]uint64{}}
	running := census{
		count: map[string]int{kindLogmon: 2, kindDockerLogger: 2},
		rss:   map[string]uint64{kindDockerLogger: 40 << 20},
		pss:   map[string]uint64{kindDockerLogger: 20 << 20},
	}
	results := []*driverResult{
		{driver: contract.DriverName, latencies: lat(time.Second, 2*time.Second, 3*time.Second), last: batch{before: empty, during: empty, after: empty}},
		{driver: "docker", latencies: lat(4*time.Second, 4*time.Second, 8*time.Second), last: batch{before: empty, during: running, after: empty}},
	}
	var b strings.Builder
	floor := &driverResult{driver: "mock_driver", latencies: lat(time.Second / 2)}
	report(&b, setup{tasks: 2, rounds: 1, cpus: 2, image: "img"}, results, floor, nil)
	out := b.String()

	must.StrContains(t, out, "dockmr-driver        3    2.000s    3.000s   0.500s | 1.500s")
	must.StrContains(t, out, "docker               3    4.000s    8.000s   1.000s | 3.000s")
	must.StrContains(t, out, "ratio of medians dockmr-driver / docker: 0.50 (goal <= 0.50: met)")
	must.StrContains(t, out, "mock_driver          1    0.500s    0.500s")
	must.StrContains(t, out, "above the mock_driver floor (Nomad's own cost): dockmr-driver 1.500s, docker 3.500s, ratio 0.43")
	must.StrContains(t, out, "docker          1.00 beyond logmon   (logmon 1, docker_logger 1)")
	must.StrContains(t, out, "(+10.00 MB PSS per task, 2 such processes while running)")
}
