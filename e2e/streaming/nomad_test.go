package streaming_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/devcluster"
	"github.com/dockmr/dockmr/e2e/clustertest"
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
// containers on a one-client cluster over gzip and zstd input, with a
// combiner and a reverse key comparator: the answer is the example's,
// in reverse word order, in a gzip part file.
func TestNomadCompressedCombinedReverse(t *testing.T) {
	clustertest.RequireImage(t, clustertest.ExampleImage)
	c := clustertest.Start(t, devcluster.Options{Clients: 1})
	dockmr := clustertest.DockmrBinary(t)
	dir := filepath.Join(c.DataDir(), "streaming")
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

	cmd := exec.Command(dockmr, "run", "--json", "--data-dir", c.DataDir(), "--sort-mb", "16", spec)
	cmd.Env = append(os.Environ(), "NOMAD_ADDR="+c.Address())
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("dockmr run on Nomad: %v\n%s", err, stderr.String())
	}
	var sum summary
	must.NoError(t, json.Unmarshal(stdout.Bytes(), &sum), must.Sprint(stdout.String()))
	t.Logf("map records out %d, combine in %d out %d, shuffle bytes %d",
		sum.Map.RecordsOut, sum.Map.CombineInputRecords, sum.Map.CombineOutputRecords, sum.Reduce.ShuffleBytes)
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
