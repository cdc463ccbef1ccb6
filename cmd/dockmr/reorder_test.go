package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func TestReorder(t *testing.T) {
	takes := map[string]bool{"html": true, "json": false, "maps": true, "v": false}
	for _, tc := range []struct {
		args, want []string
	}{
		{nil, nil},
		{[]string{"OUT"}, []string{"OUT"}},
		{[]string{"OUT", "--html", "page.html"}, []string{"--html", "page.html", "OUT"}},
		{[]string{"--html", "page.html", "OUT"}, []string{"--html", "page.html", "OUT"}},
		{[]string{"a", "--json", "b"}, []string{"--json", "a", "b"}},
		{[]string{"a", "-maps", "3", "b", "-v"}, []string{"-maps", "3", "-v", "a", "b"}},
		{[]string{"a", "--maps=3", "b"}, []string{"--maps=3", "a", "b"}},
		{[]string{"a", "--json=false", "b"}, []string{"--json=false", "a", "b"}},
		// A value that looks like a flag is still the flag's value.
		{[]string{"a", "--html", "-x.html"}, []string{"--html", "-x.html", "a"}},
		// Unknown flags stand alone, for the parser to report.
		{[]string{"a", "--frobnicate", "b"}, []string{"--frobnicate", "a", "b"}},
		// "-" is an argument (stdin), and after "--" everything is.
		{[]string{"-", "--json"}, []string{"--json", "-"}},
		{[]string{"a", "--json", "--", "-b", "--html"}, []string{"--json", "--", "a", "-b", "--html"}},
	} {
		got, err := reorder(tc.args, takes)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("reorder(%q) = %q, %v; want %q", tc.args, got, err, tc.want)
		}
	}
	if got, err := reorder([]string{"a", "b", "--maps"}, takes); err == nil || !strings.Contains(err.Error(), "flag --maps needs a value") {
		t.Errorf("reorder with a trailing --maps = %q, %v; want an error naming --maps", got, err)
	}
}

func TestFlagsFirstFindsTheCommand(t *testing.T) {
	app := newApp(io.Discard, io.Discard)
	for _, tc := range []struct {
		args, want []string
	}{
		{[]string{"dockmr"}, []string{"dockmr"}},
		{[]string{"dockmr", "--help"}, []string{"dockmr", "--help"}},
		{[]string{"dockmr", "nosuch", "a", "--json"}, []string{"dockmr", "nosuch", "a", "--json"}},
		{[]string{"dockmr", "history", "OUT", "--html", "p.html"}, []string{"dockmr", "history", "--html", "p.html", "OUT"}},
		{[]string{"dockmr", "image", "prefetch", "app:1", "--load", "/d/a.tar", "--force"},
			[]string{"dockmr", "image", "prefetch", "--load", "/d/a.tar", "--force", "app:1"}},
		{[]string{"dockmr", "terasort", "in", "out", "-v", "--reduces", "3", "-d"},
			[]string{"dockmr", "terasort", "-v", "--reduces", "3", "-d", "in", "out"}},
		{[]string{"dockmr", "logs", "JOB", "m-00001", "--stderr"}, []string{"dockmr", "logs", "--stderr", "JOB", "m-00001"}},
		// The task command parses its own flags.
		{[]string{"dockmr", "task", "--plan", "p", "map", "--index", "1"}, []string{"dockmr", "task", "--plan", "p", "map", "--index", "1"}},
	} {
		got, err := flagsFirst(app, tc.args)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("flagsFirst(%q) = %q, %v; want %q", tc.args, got, err, tc.want)
		}
	}
}

// Every flag of every command, put after two positional arguments, is
// moved before them with its value.
func TestFlagsFirstKnowsEveryFlag(t *testing.T) {
	app := newApp(io.Discard, io.Discard)
	var walk func(path []string, cmds []*cli.Command)
	checked := 0
	walk = func(path []string, cmds []*cli.Command) {
		for _, cmd := range cmds {
			p := append(slices.Clone(path), cmd.Name)
			walk(p, cmd.Subcommands)
			if cmd.SkipFlagParsing {
				continue
			}
			for _, f := range cmd.Flags {
				flag := []string{"--" + f.Names()[0]}
				if d, ok := f.(cli.DocGenerationFlag); ok && d.TakesValue() {
					flag = append(flag, "VALUE")
				}
				args := append(append(slices.Clone(p), "A", "B"), flag...)
				want := append(append(slices.Clone(p), flag...), "A", "B")
				got, err := flagsFirst(app, args)
				if err != nil || !slices.Equal(got, want) {
					t.Errorf("flagsFirst(%q) = %q, %v; want %q", args, got, err, want)
				}
				checked++
			}
		}
	}
	walk([]string{"dockmr"}, app.Commands)
	if checked < 50 {
		t.Errorf("checked %d flags; the commands have more", checked)
	}
}

// Commands run with their flags after their arguments.
func TestFlagsAfterArguments(t *testing.T) {
	dir := t.TempDir()
	gen, sorted, report := filepath.Join(dir, "gen"), filepath.Join(dir, "sorted"), filepath.Join(dir, "report")
	sum := checksum(t, ok(t, "teragen", "1000", gen, "--local", "--maps", "2"))
	if got := checksum(t, ok(t, "terasort", gen, sorted, "--reduces", "2", "--local")); got != sum {
		t.Errorf("terasort checksum %s, want teragen's %s", got, sum)
	}
	ok(t, "teravalidate", sorted, report, "--local", "--json")
	page := filepath.Join(dir, "page.html")
	ok(t, "history", sorted, "--html", page)
	if b, err := os.ReadFile(page); err != nil || !strings.Contains(string(b), "<html") {
		t.Errorf("history OUT --html: page %q, %v", b, err)
	}
	if r := ok(t, "history", gen, "--json"); !strings.HasPrefix(r.stdout, "{") {
		t.Errorf("history OUT --json printed %q, want JSON", r.stdout)
	}
	out := filepath.Join(dir, "wc")
	ok(t, "run", filepath.Join("..", "..", "examples", "wordcount", "wordcount.hcl"), "--local", "--output", out)
	if _, err := os.Stat(filepath.Join(out, "_SUCCESS")); err != nil {
		t.Errorf("run SPEC --local --output: %v", err)
	}
	// Commands that need Nomad get as far as asking it, with the flag
	// read as a flag.
	env := []string{noAgent}
	for _, args := range [][]string{
		{"status", "job_1", "--json"},
		{"cancel", "job_1"},
		{"list", "--json"},
		{"logs", "job_1", "m-00000", "--stderr"},
		{"image", "prefetch", "app:1", "--force"},
	} {
		r := withEnv(t, env, args...)
		if r.code != 1 || strings.Contains(r.stderr, "argument") {
			t.Errorf("dockmr %q: exit %d, %q; want exit 1 for the unreachable agent, no complaint about arguments", args, r.code, r.stderr)
		}
	}
}
