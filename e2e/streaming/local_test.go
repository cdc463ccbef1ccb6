// Package streaming_test runs Hadoop Streaming jobs as a user would, with
// real mapper, combiner and reducer programs: Python 3 and shell on the
// local runner, busybox sh in containers on a development cluster.
// Compressed input must give the uncompressed job's answer, a combiner
// must shrink the shuffle and keep the answer, and Hadoop's documented
// KeyFieldBased examples must give Hadoop's grouping and order.
package streaming_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/e2e/clustertest"
)

const (
	pyMapper = `#!/usr/bin/env python3
import re, sys
for line in sys.stdin:
    for w in re.findall(r"[a-z]+", line.lower()):
        print(f"{w}\t1")
`
	// pySum is the reducer and the combiner: it sums each key's counts.
	pySum = `#!/usr/bin/env python3
import sys
key, n = None, 0
for line in sys.stdin:
    k, v = line.rstrip("\n").split("\t", 1)
    if k != key:
        if key is not None:
            print(f"{key}\t{n}")
        key, n = k, 0
    n += int(v)
if key is not None:
    print(f"{key}\t{n}")
`
)

// summary is the part of dockmr's --json output the tests read.
type summary struct {
	Map    counters `json:"map"`
	Reduce counters `json:"reduce"`
}

type counters struct {
	RecordsOut           uint64 `json:"records_out"`
	ShuffleBytes         uint64 `json:"shuffle_bytes"`
	ShuffleLocalBytes    uint64 `json:"shuffle_local_bytes"`
	ShuffleRemoteBytes   uint64 `json:"shuffle_remote_bytes"`
	CombineInputRecords  uint64 `json:"combine_input_records"`
	CombineOutputRecords uint64 `json:"combine_output_records"`
}

// needPython skips the test without python3.
func needPython(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs jobs of real processes")
	}
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
}

// writeScript writes an executable script into dir.
func writeScript(t *testing.T, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	must.NoError(t, os.WriteFile(path, []byte(text), 0o755))
	return path
}

// text returns about n bytes of words from the repository's docs.
func text(t *testing.T, n int) []byte {
	t.Helper()
	var b []byte
	for _, f := range []string{"../../README.md", "../../docs/architecture.md"} {
		data, err := os.ReadFile(f)
		must.NoError(t, err)
		b = append(b, data...)
	}
	return bytes.Repeat(b, max(1, n/len(b)))
}

// wordcountSpec writes a spec of the Python word count over input, with
// a combiner if asked.
func wordcountSpec(t *testing.T, dir, name, input string, combiner bool) string {
	t.Helper()
	mapper := writeScript(t, dir, "mapper.py", pyMapper)
	sum := writeScript(t, dir, "sum.py", pySum)
	comb := ""
	if combiner {
		comb = fmt.Sprintf("  combiner {\n    command = [%q]\n  }\n", sum)
	}
	spec := fmt.Sprintf(`job %q {
  input  = [%q]
  output = %q
  map {
    command = [%q]
    tasks   = 3
  }
%s  reduce {
    command = [%q]
    tasks   = 2
  }
}
`, name, input, filepath.Join(dir, "out-"+name), mapper, comb, sum)
	return writeScript(t, dir, name+".hcl", spec)
}

// runLocal runs dockmr run --local --json with args and returns its
// summary.
func runLocal(t *testing.T, dockmr string, args ...string) summary {
	t.Helper()
	cmd := exec.Command(dockmr, append([]string{"run", "--local", "--json"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("dockmr %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var sum summary
	must.NoError(t, json.Unmarshal(stdout.Bytes(), &sum), must.Sprint(stdout.String()))
	return sum
}

// outputLines returns the sorted lines of a job's part files, decompressed
// by their extension.
func outputLines(t *testing.T, dir string) string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "part-*"))
	must.NoError(t, err)
	must.SliceNotEmpty(t, names)
	var lines []string
	for _, n := range names {
		data, err := os.ReadFile(n)
		must.NoError(t, err)
		switch filepath.Ext(n) {
		case ".gz":
			z, err := gzip.NewReader(bytes.NewReader(data))
			must.NoError(t, err)
			data, err = io.ReadAll(z)
			must.NoError(t, err)
		case ".zst":
			z, err := zstd.NewReader(bytes.NewReader(data))
			must.NoError(t, err)
			data, err = io.ReadAll(z)
			z.Close()
			must.NoError(t, err)
		}
		if s := strings.TrimSuffix(string(data), "\n"); s != "" {
			lines = append(lines, strings.Split(s, "\n")...)
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n") + "\n"
}

// compressFile writes path compressed with a command-line tool (gzip,
// bzip2, zstd) to path plus ext.
func compressFile(t *testing.T, tool, path, dst string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s is not installed", tool)
	}
	out, err := exec.Command(tool, "-c", path).Output()
	must.NoError(t, err)
	must.NoError(t, os.WriteFile(dst, out, 0o644))
}

// The Python word count over gzip, bzip2 and zstd copies of its input
// gives the plain input's answer, and compressed output holds it too.
func TestCompressedInputLocal(t *testing.T) {
	needPython(t)
	dockmr := clustertest.DockmrBinary(t)
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	must.NoError(t, os.Mkdir(plain, 0o755))
	for i := range 3 {
		must.NoError(t, os.WriteFile(filepath.Join(plain, fmt.Sprintf("part%d.txt", i)), text(t, 200_000*(i+1)), 0o644))
	}
	runLocal(t, dockmr, wordcountSpec(t, dir, "plain", plain, false))
	want := outputLines(t, filepath.Join(dir, "out-plain"))
	for _, c := range []struct{ tool, ext string }{{"gzip", ".gz"}, {"bzip2", ".bz2"}, {"zstd", ".zst"}} {
		in := filepath.Join(dir, c.tool)
		must.NoError(t, os.Mkdir(in, 0o755))
		for i := range 3 {
			name := fmt.Sprintf("part%d.txt", i)
			compressFile(t, c.tool, filepath.Join(plain, name), filepath.Join(in, name+c.ext))
		}
		runLocal(t, dockmr, "--output-codec", "zstd", wordcountSpec(t, dir, c.tool, in, false))
		must.Eq(t, want, outputLines(t, filepath.Join(dir, "out-"+c.tool)), must.Sprintf("%s input", c.tool))
	}
	// A plain file named .gz fails the job, naming the file and the codec.
	bad := filepath.Join(dir, "bad")
	must.NoError(t, os.Mkdir(bad, 0o755))
	must.NoError(t, os.WriteFile(filepath.Join(bad, "x.gz"), []byte("plain text\n"), 0o644))
	out, err := exec.Command(dockmr, "run", "--local", wordcountSpec(t, dir, "bad", bad, false)).CombinedOutput()
	must.Error(t, err)
	must.StrContains(t, string(out), filepath.Join(bad, "x.gz")+" is not valid gzip data")
}

// A combiner (the reducer's own script) changes the shuffle, not the
// answer.
func TestCombinerLocal(t *testing.T) {
	needPython(t)
	dockmr := clustertest.DockmrBinary(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	must.NoError(t, os.WriteFile(in, text(t, 2<<20), 0o644))
	plain := runLocal(t, dockmr, wordcountSpec(t, dir, "plain", in, false))
	combined := runLocal(t, dockmr, wordcountSpec(t, dir, "combined", in, true))
	must.Eq(t, outputLines(t, filepath.Join(dir, "out-plain")), outputLines(t, filepath.Join(dir, "out-combined")))
	t.Logf("shuffle bytes %d without a combiner, %d with; combine records in %d, out %d",
		plain.Reduce.ShuffleBytes, combined.Reduce.ShuffleBytes, combined.Map.CombineInputRecords, combined.Map.CombineOutputRecords)
	must.Less(t, plain.Reduce.ShuffleBytes/10, combined.Reduce.ShuffleBytes)
	must.Eq(t, combined.Map.RecordsOut, combined.Map.CombineInputRecords)
	must.Less(t, combined.Map.CombineInputRecords, combined.Map.CombineOutputRecords)
}

// hadoopKeys is the input of Hadoop Streaming's documented key-field
// examples.
const hadoopKeys = "11.12.1.2\n11.14.2.3\n11.11.4.1\n11.12.1.1\n11.14.2.2\n"

// keysSpec writes a spec of shell cat mapper and reducer over hadoopKeys.
func keysSpec(t *testing.T, dir, name string, reduces int) string {
	t.Helper()
	in := filepath.Join(dir, "keys.txt")
	must.NoError(t, os.WriteFile(in, []byte(hadoopKeys), 0o644))
	return writeScript(t, dir, name+".hcl", fmt.Sprintf(`job %q {
  input  = [%q]
  output = %q
  map {
    command = "cat"
    tasks   = 1
  }
  reduce {
    command = "cat"
    tasks   = %d
  }
}
`, name, in, filepath.Join(dir, "out-"+name), reduces))
}

// Hadoop's KeyFieldBasedPartitioner and KeyFieldBasedComparator examples,
// with Hadoop's -D options.
func TestHadoopKeyFieldExamplesLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs jobs of real processes")
	}
	dockmr := clustertest.DockmrBinary(t)
	dir := t.TempDir()
	common := []string{"-D", "stream.map.output.field.separator=.", "-D", "stream.num.map.output.key.fields=4",
		"-D", "mapreduce.map.output.key.field.separator=."}

	runLocal(t, dockmr, append(common, "-D", "mapreduce.partition.keypartitioner.options=-k1,2",
		"-D", "mapreduce.job.partitioner.class=org.apache.hadoop.mapred.lib.KeyFieldBasedPartitioner",
		keysSpec(t, dir, "partition", 12))...)
	var groups []string
	names, _ := filepath.Glob(filepath.Join(dir, "out-partition", "part-*"))
	for _, n := range names {
		data, err := os.ReadFile(n)
		must.NoError(t, err)
		if len(data) > 0 {
			groups = append(groups, strings.ReplaceAll(strings.TrimSpace(string(data)), "\n", " "))
		}
	}
	slices.Sort(groups)
	must.Eq(t, []string{"11.11.4.1", "11.12.1.1 11.12.1.2", "11.14.2.2 11.14.2.3"}, groups)

	runLocal(t, dockmr, append(common, "-D", "mapreduce.partition.keycomparator.options=-k2,2nr",
		"-D", "mapreduce.job.output.key.comparator.class=org.apache.hadoop.mapreduce.lib.partition.KeyFieldBasedComparator",
		keysSpec(t, dir, "compare", 1))...)
	data, err := os.ReadFile(filepath.Join(dir, "out-compare", "part-r-00000"))
	must.NoError(t, err)
	must.Eq(t, "11.14.2.3\n11.14.2.2\n11.12.1.2\n11.12.1.1\n11.11.4.1\n", string(data))

	out, err := exec.Command(dockmr, "run", "--local", "-D", "mapreduce.partition.keycomparator.options=-k2,2q",
		keysSpec(t, dir, "bad", 1)).CombinedOutput()
	must.Error(t, err)
	must.StrContains(t, string(out), `mapreduce.partition.keycomparator.options="-k2,2q"`)
	must.Eq(t, 1, strings.Count(strings.TrimSpace(string(out)), "\n")+1, must.Sprint(string(out)))
}
