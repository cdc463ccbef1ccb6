package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestTeraGenSortValidate(t *testing.T) {
	for _, tc := range []struct{ format, sum string }{
		{"binary", ""},
		{"ascii", "7a19cff467438"}, // rows 0..999999 in gensort -a's format
	} {
		t.Run(tc.format, func(t *testing.T) {
			dir := t.TempDir()
			in, out, report := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "report")
			gen := checksum(t, ok(t, "teragen", "--local", "--maps", "3", "--format", tc.format, "1m", in))
			if tc.sum != "" && gen != tc.sum {
				t.Errorf("teragen checksum %s, want %s", gen, tc.sum)
			}
			sorted := checksum(t, ok(t, "terasort", "--local", "--reduces", "3", "--parallel", "2", in, out))
			valid := checksum(t, ok(t, "teravalidate", "--local", out, report))
			if sorted != gen || valid != gen {
				t.Errorf("checksums: teragen %s, terasort %s, teravalidate %s; want all equal", gen, sorted, valid)
			}
			parts, _ := filepath.Glob(filepath.Join(out, "part-r-*"))
			if len(parts) != 3 {
				t.Errorf("terasort wrote %d part files, want 3", len(parts))
			}
		})
	}
}

func TestTeraValidateFailsOnUnsortedInput(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	ok(t, "teragen", "--local", "--maps", "2", "1000", in)
	report := filepath.Join(dir, "report")
	// The job ran, so its summary precedes the error line.
	r := dockmrRun(t, "teravalidate", "--local", in, report)
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	for _, want := range []string{"dockmr: " + in + " is not sorted", "errors, listed in " + filepath.Join(report, "part-r-00000"), "misorder in"} {
		if r.code != 1 || !strings.Contains(last, want) {
			t.Errorf("teravalidate of unsorted input: exit %d, last line %q; want 1 and %q", r.code, last, want)
		}
	}
	if checksumLine.FindString(r.stdout) == "" {
		t.Errorf("teravalidate did not print the checksum of unsorted input: %q", r.stdout)
	}
}

func TestWordCountExample(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	ok(t, "run", "--local", "--output", out, filepath.Join("..", "..", "examples", "wordcount", "wordcount.hcl"))
	parts, _ := filepath.Glob(filepath.Join(out, "part-r-*"))
	var lines []string
	for _, p := range parts {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
	}
	slices.Sort(lines)
	want, err := os.ReadFile(filepath.Join("..", "..", "examples", "wordcount", "expected.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(lines, "\n") + "\n"; got != string(want) {
		t.Errorf("word counts:\n%s\nwant expected.txt:\n%s", got, want)
	}
}

func TestHelpShowsExamples(t *testing.T) {
	for _, cmd := range []string{"teragen", "terasort", "teravalidate", "run"} {
		r := ok(t, cmd, "--help")
		if !strings.Contains(r.stdout, "Examples:") || !strings.Contains(r.stdout, "dockmr "+cmd+" ") || !strings.Contains(r.stdout, "--local") {
			t.Errorf("dockmr %s --help shows no examples or no --local:\n%s", cmd, r.stdout)
		}
	}
	if r := ok(t, "--help"); !strings.Contains(r.stdout, "teragen") || strings.Contains(r.stdout, "\n   task ") {
		t.Errorf("dockmr --help does not list the commands, or lists the hidden task command:\n%s", r.stdout)
	}
}
