package shuffle

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/history"
	"github.com/dockmr/dockmr/jobs/nomad"
	"github.com/dockmr/dockmr/shuffle"
)

// jobTimeout bounds a job that never ends; it is no timing assertion.
const jobTimeout = 3 * time.Minute

// summary is the part of dockmr's --json output the tests read.
type summary struct {
	ID       string        `json:"id"`
	Checksum string        `json:"checksum"`
	Map      jobs.Counters `json:"map"`
	Reduce   jobs.Counters `json:"reduce"`
}

// clusterEnv runs dockmr commands against one cluster.
type clusterEnv struct{ c *devcluster.Cluster }

// dockmr runs the dockmr command against the shared cluster.
func dockmr(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return clusterEnv{cluster}.dockmr(t, args...)
}

func (e clusterEnv) dockmr(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), jobTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(bins, "dockmr"), args...)
	cmd.Env = append(os.Environ(), "NOMAD_ADDR="+e.c.Address(), "DOCKMR_DATA_DIR="+e.c.DataDir())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		t.Logf("dockmr %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), err
}

// teragen writes rows of tera input with the local runner into the
// shared cluster's data directory and returns its directory and checksum.
func teragen(t *testing.T, rows string) (string, string) {
	t.Helper()
	return clusterEnv{cluster}.teragen(t, rows)
}

func (e clusterEnv) teragen(t *testing.T, rows string) (string, string) {
	t.Helper()
	dir := filepath.Join(e.c.DataDir(), t.Name(), "in")
	out, err := e.dockmr(t, "teragen", "--local", "--json", "--maps", "4", rows, dir)
	must.NoError(t, err)
	var s summary
	must.NoError(t, json.Unmarshal([]byte(out), &s))
	return dir, s.Checksum
}

// terasort sorts in into a new directory with node shuffle.
func terasort(t *testing.T, in string, flags ...string) (summary, string, error) {
	t.Helper()
	return clusterEnv{cluster}.terasort(t, in, flags...)
}

func (e clusterEnv) terasort(t *testing.T, in string, flags ...string) (summary, string, error) {
	t.Helper()
	out := filepath.Join(filepath.Dir(in), "out")
	args := append([]string{"terasort", "--json", "--shuffle", "node", "--maps", "4", "--reduces", "3"}, flags...)
	stdout, err := e.dockmr(t, append(args, in, out)...)
	var s summary
	if err == nil {
		err = json.Unmarshal([]byte(stdout), &s)
	}
	return s, out, err
}

// teravalidate checks that out is sorted and has the checksum want.
func teravalidate(t *testing.T, out, want string) {
	t.Helper()
	stdout, err := dockmr(t, "teravalidate", "--local", out, out+"-report")
	must.NoError(t, err)
	must.StrContains(t, stdout, "checksum "+want)
}

// checkNoShuffleData fails if any client's shuffle directory holds
// anything of the job.
func checkNoShuffleData(t *testing.T, jobID string) {
	t.Helper()
	clusterEnv{cluster}.checkNoShuffleData(t, jobID)
}

func (e clusterEnv) checkNoShuffleData(t *testing.T, jobID string) {
	t.Helper()
	for _, dir := range e.c.ShuffleDirs() {
		_, err := os.Stat(filepath.Join(dir, jobID))
		must.True(t, os.IsNotExist(err), must.Sprintf("shuffle data of %s left in %s (%v)", jobID, dir, err))
	}
}

func TestTerasortAcrossClients(t *testing.T) {
	in, want := teragen(t, "300k")
	s, out, err := terasort(t, in)
	must.NoError(t, err)
	must.Eq(t, want, s.Checksum)
	c := s.Reduce
	t.Logf("shuffle: %d bytes read in place, %d fetched from the other client", c.ShuffleLocalBytes, c.ShuffleRemoteBytes)
	must.Positive(t, c.ShuffleLocalBytes)
	must.Positive(t, c.ShuffleRemoteBytes)
	must.Eq(t, c.ShuffleBytes, c.ShuffleLocalBytes+c.ShuffleRemoteBytes)
	teravalidate(t, out, want)
	checkNoShuffleData(t, s.ID)
}

func TestWordcountAcrossClients(t *testing.T) {
	dir := filepath.Join(cluster.DataDir(), t.Name())
	must.NoError(t, os.CopyFS(filepath.Join(dir, "input"), os.DirFS("../../examples/wordcount/input")))
	spec, err := os.ReadFile("../../examples/wordcount/wordcount.hcl")
	must.NoError(t, err)
	// The example as it is, with node shuffle in its settings.
	body := strings.TrimSuffix(strings.TrimSpace(string(spec)), "}") + "  settings {\n    shuffle = \"node\"\n  }\n}\n"
	must.NoError(t, os.WriteFile(filepath.Join(dir, "wordcount.hcl"), []byte(body), 0o644))
	stdout, err := dockmr(t, "run", "--json", filepath.Join(dir, "wordcount.hcl"))
	must.NoError(t, err)
	var s summary
	must.NoError(t, json.Unmarshal([]byte(stdout), &s))
	t.Logf("shuffle: %d bytes read in place, %d fetched", s.Reduce.ShuffleLocalBytes, s.Reduce.ShuffleRemoteBytes)
	must.Positive(t, s.Reduce.ShuffleLocalBytes)
	must.Positive(t, s.Reduce.ShuffleRemoteBytes)

	var lines []string
	parts, _ := filepath.Glob(filepath.Join(dir, "out", "part-r-*"))
	for _, p := range parts {
		b, err := os.ReadFile(p)
		must.NoError(t, err)
		lines = append(lines, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
	}
	slices.Sort(lines)
	expected, err := os.ReadFile("../../examples/wordcount/expected.txt")
	must.NoError(t, err)
	must.Eq(t, string(expected), strings.Join(lines, "\n")+"\n")
	checkNoShuffleData(t, s.ID)
}

// shuffleServers returns the clients' shuffle directories and the
// addresses their servers listen on, from the nodes' meta.
func shuffleServers(t *testing.T) map[string]string {
	t.Helper()
	nodes, _, err := cluster.API.Nodes().List(nil)
	must.NoError(t, err)
	out := map[string]string{}
	for _, n := range nodes {
		node, _, err := cluster.API.Nodes().Info(n.ID, nil)
		must.NoError(t, err)
		out[node.Meta[nomad.MetaShuffleDir]] = node.Meta[nomad.MetaShuffleAddr]
	}
	return out
}

// rawRequest sends a request line as written, so that paths reach the
// server undecoded, and returns the status and body.
func rawRequest(t *testing.T, addr, method, path, secret, rng string) (int, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	must.NoError(t, err)
	defer c.Close()
	fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n", method, path)
	if secret != "" {
		fmt.Fprintf(c, "%s: %s\r\n", shuffle.SignatureHeader, shuffle.Sign(secret, method, path))
	}
	if rng != "" {
		fmt.Fprintf(c, "Range: %s\r\n", rng)
	}
	fmt.Fprint(c, "\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	must.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRefusedFetches(t *testing.T) {
	servers := shuffleServers(t)
	must.MapLen(t, 2, servers)
	var dir, addr string
	for d, a := range servers {
		dir, addr = d, a
	}
	// Map output of a job, as a map task would leave it, owned by the
	// server's user.
	job, attempt := "job_e2e_refused", "attempt-1"
	secret, _ := shuffle.NewSecret()
	other, _ := shuffle.NewSecret()
	store := shuffle.Store{Dir: dir}
	tmp, err := store.StartAttempt(job, attempt, secret)
	must.NoError(t, err)
	data := "0123456789abcdefghij"
	must.NoError(t, os.WriteFile(filepath.Join(tmp, shuffle.OutputFile), []byte(data), 0o600))
	must.NoError(t, store.FinishAttempt(job, attempt, tmp, []shuffle.Segment{{Offset: 0, Length: 10}, {Offset: 10, Length: 10}}))
	t.Cleanup(func() { _ = store.RemoveJob(job) }) // removed by the test's DELETE already
	if os.Geteuid() == 0 {
		must.NoError(t, filepath.Walk(store.JobDir(job), func(p string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Chown(p, 65534, 65534)
		}))
	}
	p := shuffle.PartitionPath(job, attempt, 1)
	for _, c := range []struct {
		name, method, path, secret, rng string
		status                          int
	}{
		{"no secret", "GET", p, "", "", 403},
		{"another job's secret", "GET", p, other, "", 403},
		{"unknown job", "GET", shuffle.PartitionPath("job_e2e_unknown", attempt, 1), secret, "", 404},
		{"dot-dot", "GET", "/v1/jobs/" + job + "/maps/../partitions/1", secret, "", 400},
		{"escaped dot-dot", "GET", "/v1/jobs/%2e%2e/maps/" + attempt + "/partitions/1", secret, "", 400},
		{"escaped slash", "GET", "/v1/jobs/" + job + "%2f..%2f..%2fetc/maps/a/partitions/0", secret, "", 400},
		{"range past the end", "GET", p, secret, "bytes=10-", 416},
		{"partition past the last", "GET", shuffle.PartitionPath(job, attempt, 2), secret, "", 404},
		{"delete with another secret", "DELETE", shuffle.JobPath(job), other, "", 403},
	} {
		status, body := rawRequest(t, addr, c.method, c.path, c.secret, c.rng)
		must.Eq(t, c.status, status, must.Sprintf("%s: %q", c.name, body))
		must.StrNotContains(t, body, "abcdefghij", must.Sprintf("%s: a refusal carries data", c.name))
	}
	status, body := rawRequest(t, addr, "GET", p, secret, "")
	must.Eq(t, 200, status)
	must.Eq(t, "abcdefghij", body)
	status, body = rawRequest(t, addr, "GET", p, secret, "bytes=2-4")
	must.Eq(t, 206, status)
	must.Eq(t, "cde", body)
	status, _ = rawRequest(t, addr, "DELETE", shuffle.JobPath(job), secret, "")
	must.Eq(t, 204, status)
	_, err = os.Stat(store.JobDir(job))
	must.True(t, os.IsNotExist(err))
}

// onFirstMapCommit calls fn once with the manifest of the first map of a
// job under out to commit, from a goroutine polling the staging directory
// while the test runs the job. The reduces start only once every map has
// committed, so fn runs before any fetch, unless all maps commit within
// one poll; wait reports whether fn ran.
func onFirstMapCommit(t *testing.T, out string, fn func(jobID string, m *jobs.Manifest)) (wait func() bool) {
	t.Helper()
	done := make(chan struct{})
	var once sync.Once
	ran := false
	stop := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
			paths, _ := filepath.Glob(filepath.Join(out, jobs.TemporaryDir, "*", "tasks", "m-*", jobs.ManifestFile))
			for _, p := range paths {
				b, err := os.ReadFile(p)
				var m jobs.Manifest
				if err != nil || json.Unmarshal(b, &m) != nil || m.Shuffle == nil {
					continue
				}
				jobID := filepath.Base(filepath.Dir(filepath.Dir(filepath.Dir(p))))
				once.Do(func() { fn(jobID, &m); ran = true })
				return
			}
		}
	}()
	return func() bool {
		close(stop)
		<-done
		return ran
	}
}

func TestLostMapOutputIsRerun(t *testing.T) {
	in, want := teragen(t, "300k")
	out := filepath.Join(filepath.Dir(in), "out")
	var lost string
	wait := onFirstMapCommit(t, out, func(jobID string, m *jobs.Manifest) {
		for _, dir := range cluster.ShuffleDirs() {
			p := shuffle.Store{Dir: dir}.AttemptDir(jobID, m.Attempt)
			if _, err := os.Stat(p); err == nil {
				lost = m.Task + " " + m.Attempt
				os.RemoveAll(p)
			}
		}
	})
	s, _, err := terasort(t, in)
	must.True(t, wait(), must.Sprint("no map committed while the job ran"))
	must.NoError(t, err)
	must.NotEq(t, "", lost, must.Sprint("the map output was not found on any client"))
	t.Logf("removed the output of %s", lost)
	must.Eq(t, want, s.Checksum)
	teravalidate(t, out, want)

	rec, err := history.Read(filepath.Join(out, jobs.HistoryDir, s.ID+".json"))
	must.NoError(t, err)
	var reasons []string
	for _, ph := range rec.Phases {
		if ph.Reason != "" {
			reasons = append(reasons, fmt.Sprintf("%s: %s", ph.Kind, ph.Reason))
		}
	}
	t.Logf("re-runs: %q", reasons)
	must.SliceLen(t, 2, reasons, must.Sprint("a map re-run and a reduce re-run in the history"))
	must.StrContains(t, reasons[0], "map: rerun: output lost")
	checkNoShuffleData(t, s.ID)
}

func TestShuffleServerKilled(t *testing.T) {
	in, want := teragen(t, "300k")
	out := filepath.Join(filepath.Dir(in), "out")
	allocs := runningServers(t)
	wait := onFirstMapCommit(t, out, func(string, *jobs.Manifest) {
		for _, a := range allocs {
			if b, err := exec.Command("docker", "kill", "--signal", "KILL", containerOf(t, a)).CombinedOutput(); err != nil {
				t.Errorf("docker kill the shuffle server of allocation %.8s: %v: %s", a, err, b)
			}
		}
	})
	s, _, err := terasort(t, in)
	must.True(t, wait(), must.Sprint("no map committed while the job ran"))
	must.NoError(t, err)
	must.Eq(t, want, s.Checksum)
	teravalidate(t, out, want)
	// Nomad restarted both servers in their allocations.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err = nomad.StartShuffle(ctx, cluster.API, nomad.ShuffleOptions{Image: exampleImage}, true)
	must.NoError(t, err)
	for _, id := range allocs {
		a, _, err := cluster.API.Allocations().Info(id, nil)
		must.NoError(t, err)
		must.Eq(t, api.AllocClientStatusRunning, a.ClientStatus)
		must.Positive(t, a.TaskStates["shuffle"].Restarts, must.Sprintf("restarts of allocation %.8s", id))
	}
	checkNoShuffleData(t, s.ID)
}

// runningServers returns the allocation IDs of the running shuffle servers.
func runningServers(t *testing.T) []string {
	t.Helper()
	stubs, _, err := cluster.API.Jobs().Allocations(nomad.ShuffleJobID, false, nil)
	must.NoError(t, err)
	var ids []string
	for _, a := range stubs {
		if a.ClientStatus == api.AllocClientStatusRunning {
			ids = append(ids, a.ID)
		}
	}
	must.SliceLen(t, 2, ids)
	return ids
}

// containerOf returns the ID of an allocation's running container.
func containerOf(t *testing.T, allocID string) string {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-q", "--filter", "label=com.dockmr.alloc_id="+allocID).Output()
	must.NoError(t, err)
	id := strings.TrimSpace(string(out))
	must.NotEq(t, "", id, must.Sprintf("no container of allocation %s", allocID))
	return strings.Fields(id)[0]
}

func TestCancelLeavesNoShuffleData(t *testing.T) {
	in, _ := teragen(t, "300k")
	out := filepath.Join(filepath.Dir(in), "out")
	// The application master stages the job as the tasks' user.
	must.NoError(t, os.Chmod(filepath.Dir(in), 0o777))
	stdout, err := dockmr(t, "terasort", "--detach", "--shuffle", "node", "--maps", "4", "--reduces", "3", "--sort-mb", "4", in, out)
	must.NoError(t, err)
	id := strings.TrimSpace(stdout)
	// Cancel once a map has put something on a client.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for !hasShuffleData(id) {
		select {
		case <-ctx.Done():
			status, _ := dockmr(t, "status", id)
			t.Fatalf("no shuffle data of %s appeared; its status:\n%s", id, status)
		case <-time.After(10 * time.Millisecond):
		}
	}
	_, err = dockmr(t, "cancel", id)
	must.NoError(t, err)
	checkNoShuffleData(t, id)
}

func hasShuffleData(jobID string) bool {
	for _, dir := range cluster.ShuffleDirs() {
		if _, err := os.Stat(filepath.Join(dir, jobID)); err == nil {
			return true
		}
	}
	return false
}

func TestSlowStart(t *testing.T) {
	in, want := teragen(t, "300k")
	s, out, err := terasort(t, in, "--slowstart", "0.25", "--sort-mb", "8")
	must.NoError(t, err)
	must.Eq(t, want, s.Checksum)
	must.Positive(t, s.Reduce.ShuffleRemoteBytes)
	teravalidate(t, out, want)
	rec, err := history.Read(filepath.Join(out, jobs.HistoryDir, s.ID+".json"))
	must.NoError(t, err)
	for _, ph := range rec.Phases {
		// Reported, not asserted: how far the phases overlapped depends
		// on when the maps commit.
		t.Logf("%s phase: %s to %s", ph.Kind, ph.Started.Sub(rec.Submitted), ph.Finished.Sub(rec.Submitted))
	}
	checkNoShuffleData(t, s.ID)
}
