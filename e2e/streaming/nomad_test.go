package streaming_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/e2e/clustertest"
	"github.com/dockmr/dockmr/jobs/nomad"
)

// busyboxSpec is the example word count in the example image's busybox
// sh, with a combiner, keys sorted in reverse and gzip output.
const busyboxSpec = `job "streaming-nomad" {
  image  = "dockmr/examples:dev"
  input  = ["in"]
  output = "out"
  map {
    command = "tr -cs 'A-Za-z' '\\n' | tr 'A-Z' 'a-z' | awk 'NF { print $0 \"\\t1\" }'"
  }
  combiner {
    command = ["awk", "-F", "\t", "$1 != w { if (NR > 1) print w \"\\t\" n; w = $1; n = 0 } { n += $2 } END { if (NR > 0) print w \"\\t\" n }"]
  }
  reduce {
    command = ["awk", "-F", "\t", "$1 != w { if (NR > 1) print w \"\\t\" n; w = $1; n = 0 } { n += $2 } END { if (NR > 0) print w \"\\t\" n }"]
    tasks   = 1
  }
  keys {
    compare = "-k1,1r"
  }
  settings {
    output_codec = "gzip"
  }
}
`

// TestNomadCompressedCombinedReverse runs the busybox word count in
// containers on a two-client cluster over gzip and zstd input, with a
// combiner and a reverse key comparator, with the map output in the
// shared data directory and on the maps' nodes: the answer is the
// example's, in reverse word order, in a gzip part file.
func TestNomadCompressedCombinedReverse(t *testing.T) {
	clustertest.RequireImage(t, clustertest.ExampleImage)
	c := clustertest.Start(t, devcluster.Options{Clients: 2, Shuffle: true})
	// The clients have shuffle directories and addresses; the node
	// shuffle needs their servers running too, as dockmr dev starts them.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := nomad.StartShuffle(ctx, c.API, nomad.ShuffleOptions{Image: clustertest.ExampleImage}, true)
	must.NoError(t, err)
	dockmr := clustertest.DockmrBinary(t)
	for _, shuffle := range []string{"shared", "node"} {
		t.Run(shuffle, func(t *testing.T) { runBusyboxWordcount(t, c, dockmr, shuffle) })
	}
}

// runBusyboxWordcount runs and checks the busybox word count with a
// shuffle mode.
func runBusyboxWordcount(t *testing.T, c *devcluster.Cluster, dockmr, shuffle string) {
	dir := filepath.Join(c.DataDir(), "streaming-"+shuffle)
	in := filepath.Join(dir, "in")
	must.NoError(t, os.MkdirAll(in, 0o755))
	jobsTxt, err := os.ReadFile("../../examples/wordcount/input/jobs.txt")
	must.NoError(t, err)
	tasksTxt, err := os.ReadFile("../../examples/wordcount/input/tasks.txt")
	must.NoError(t, err)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err = zw.Write(jobsTxt)
	must.NoError(t, err)
	must.NoError(t, zw.Close())
	must.NoError(t, os.WriteFile(filepath.Join(in, "jobs.txt.gz"), gz.Bytes(), 0o644))
	enc, err := zstd.NewWriter(nil)
	must.NoError(t, err)
	must.NoError(t, os.WriteFile(filepath.Join(in, "tasks.txt.zst"), enc.EncodeAll(tasksTxt, nil), 0o644))
	spec := filepath.Join(dir, "wordcount.hcl")
	must.NoError(t, os.WriteFile(spec, []byte(busyboxSpec), 0o644))

	cmd := exec.Command(dockmr, "run", "--json", "--data-dir", c.DataDir(), "--sort-mb", "16", "--shuffle", shuffle, spec)
	cmd.Env = append(os.Environ(), "NOMAD_ADDR="+c.Address())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("dockmr run on Nomad: %v\n%s", err, stderr.String())
	}
	var sum summary
	must.NoError(t, json.Unmarshal(stdout.Bytes(), &sum), must.Sprint(stdout.String()))
	t.Logf("map records out %d, combine in %d out %d, shuffle bytes %d (local %d, remote %d)",
		sum.Map.RecordsOut, sum.Map.CombineInputRecords, sum.Map.CombineOutputRecords, sum.Reduce.ShuffleBytes,
		sum.Reduce.ShuffleLocalBytes, sum.Reduce.ShuffleRemoteBytes)
	if shuffle == "node" { // the map output stayed on the maps' nodes
		must.Eq(t, sum.Reduce.ShuffleBytes, sum.Reduce.ShuffleLocalBytes+sum.Reduce.ShuffleRemoteBytes)
	}
	must.Eq(t, sum.Map.RecordsOut, sum.Map.CombineInputRecords)
	must.Less(t, sum.Map.CombineInputRecords, sum.Map.CombineOutputRecords)

	expected, err := os.ReadFile("../../examples/wordcount/expected.txt")
	must.NoError(t, err)
	want := strings.Split(strings.TrimSuffix(string(expected), "\n"), "\n")
	slices.Reverse(want)
	part := filepath.Join(dir, "out", "part-r-00000.gz")
	f, err := os.Open(part)
	must.NoError(t, err, must.Sprint("the output is one gzip part file"))
	defer f.Close()
	zr, err := gzip.NewReader(f)
	must.NoError(t, err)
	var got bytes.Buffer
	_, err = got.ReadFrom(zr)
	must.NoError(t, err)
	must.Eq(t, strings.Join(want, "\n")+"\n", got.String(), must.Sprint(fmt.Sprintf("output of %s", part)))
}
