package devcluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

// slowCountSpec is a word count whose mappers take a few seconds, so that a
// test can catch their containers running.
const slowCountSpec = `job "slowcount" {
  image  = "dockmr/examples:dev"
  input  = ["in"]
  output = "out"
  map {
    command = "sleep 4; tr -s ' ' '\\n' | awk 'NF { print $0 \"\\t1\" }'"
    tasks   = 4
  }
  reduce {
    command = ["awk", "-F", "\t", "{ n[$1] += $2 } END { for (w in n) print w \"\\t\" n[w] }"]
    tasks   = 1
  }
}
`

// TestJobSurvivesPluginKills kills every client's dockmr-driver process with
// SIGKILL while the map tasks run and again while the reduce task runs.
// Nomad restarts the plugins, which recover the running containers: the
// job completes with the exact answer.
func TestJobSurvivesPluginKills(t *testing.T) {
	if ok, err := HasImage(context.Background(), "dockmr/examples:dev"); err != nil || !ok {
		t.Fatalf("the example image dockmr/examples:dev is missing (%v): run make image", err)
	}
	c := startT(t, 2)
	dockmr := dockmrBinary(t)
	dir := filepath.Join(c.DataDir(), "slowcount")
	want := writeSlowCount(t, dir)
	spec := strings.Replace(slowCountSpec, `command = ["awk",`, `command = ["sh", "-c", "sleep 4; exec awk \"$@\"", "awk",`, 1)
	must.NoError(t, os.WriteFile(filepath.Join(dir, "job.hcl"), []byte(spec), 0o644))

	var stdout, stderr bytes.Buffer
	cmd := exec.Command(dockmr, "run", "--json", "--data-dir", c.DataDir(), filepath.Join(dir, "job.hcl"))
	cmd.Env = append(os.Environ(), "NOMAD_ADDR="+c.Address())
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	must.NoError(t, cmd.Start())

	for _, phase := range []string{"map", "reduce"} {
		waitForContainer(t, sharedDocker(t), phase, "")
		killed := killPlugins(t, c, 0)
		t.Logf("%s phase: killed %d dockmr-driver processes", phase, killed)
		must.Positive(t, killed)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("dockmr run: %v\n%s", err, stderr.String())
	}
	got, err := os.ReadFile(filepath.Join(dir, "out", "part-r-00000"))
	must.NoError(t, err)
	must.Eq(t, want, sortedLines(string(got)))
}

// TestJobSpreadsOverClientsAndSurvivesAKilledContainer runs a streaming job
// through the dockmr CLI on a two-client cluster. Its map tasks spread over
// both clients, and a map container killed with `docker kill` mid-task is
// retried in a new allocation: the job succeeds with the exact answer and
// counts the failed attempt.
func TestJobSpreadsOverClientsAndSurvivesAKilledContainer(t *testing.T) {
	if ok, err := HasImage(context.Background(), "dockmr/examples:dev"); err != nil || !ok {
		t.Fatalf("the example image dockmr/examples:dev is missing (%v): run make image", err)
	}
	c := startT(t, 2)
	dockmr := dockmrBinary(t)
	dir := filepath.Join(c.DataDir(), "slowcount")
	want := writeSlowCount(t, dir)

	var stdout, stderr bytes.Buffer
	cmd := exec.Command(dockmr, "run", "--json", "--data-dir", c.DataDir(), "--max-attempts", "3", filepath.Join(dir, "job.hcl"))
	cmd.Env = append(os.Environ(), "NOMAD_ADDR="+c.Address())
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	must.NoError(t, cmd.Start())

	killed := killOneMapContainer(t)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("dockmr run: %v\n%s", err, stderr.String())
	}

	var res struct {
		Phases []struct {
			Phase    string `json:"phase"`
			Attempts int    `json:"attempts"`
			Failed   int    `json:"failed_attempts"`
		} `json:"phases"`
	}
	must.NoError(t, json.Unmarshal(stdout.Bytes(), &res), must.Sprint(stdout.String()))
	must.Eq(t, "map", res.Phases[0].Phase)
	must.Eq(t, 1, res.Phases[0].Failed, must.Sprintf("the killed container %.12s", killed))
	must.Eq(t, 5, res.Phases[0].Attempts)

	got, err := os.ReadFile(filepath.Join(dir, "out", "part-r-00000"))
	must.NoError(t, err)
	must.Eq(t, want, sortedLines(string(got)))

	nodes := map[string]bool{}
	allocs, _, err := c.API.Allocations().List(nil)
	must.NoError(t, err)
	for _, a := range allocs {
		if strings.HasSuffix(a.JobID, "-map") {
			nodes[a.NodeID] = true
		}
	}
	must.MapLen(t, 2, nodes, must.Sprint("map tasks on both clients"))
}

// writeSlowCount writes the job spec and four input files, and returns the
// expected answer as sorted "word<TAB>count" lines.
func writeSlowCount(t *testing.T, dir string) string {
	t.Helper()
	must.NoError(t, os.MkdirAll(filepath.Join(dir, "in"), 0o755))
	must.NoError(t, os.WriteFile(filepath.Join(dir, "job.hcl"), []byte(slowCountSpec), 0o644))
	counts := map[string]int{}
	for i := range 4 {
		var b strings.Builder
		for j := range 50 {
			w := fmt.Sprintf("w%d", (i*7+j)%13)
			b.WriteString(w + " ")
			counts[w]++
		}
		b.WriteString("\n")
		must.NoError(t, os.WriteFile(filepath.Join(dir, "in", fmt.Sprintf("part-%d.txt", i)), []byte(b.String()), 0o644))
	}
	var lines []string
	for w, n := range counts {
		lines = append(lines, fmt.Sprintf("%s\t%d", w, n))
	}
	return sortedLines(strings.Join(lines, "\n"))
}

// killOneMapContainer waits for a running map container of a dockmr job and
// kills it, returning its ID. One that ends between the two is passed
// over for the next.
func killOneMapContainer(t *testing.T) string {
	t.Helper()
	docker := sharedDocker(t)
	for {
		id := waitForContainer(t, docker, "map", "")
		err := docker.ContainerKill(context.Background(), id, "SIGKILL")
		if err == nil {
			return id
		}
		if !strings.Contains(err.Error(), "is not running") {
			t.Fatalf("kill map container %.12s: %v", id, err)
		}
	}
}
