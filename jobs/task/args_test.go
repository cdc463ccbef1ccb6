package task

import (
	"errors"
	"strings"
	"testing"

	"github.com/dockmr/dockmr/jobs"
)

func TestParseArgs(t *testing.T) {
	env := func(vars map[string]string) func(string) string {
		return func(k string) string { return vars[k] }
	}
	nomad := env(map[string]string{"NOMAD_ALLOC_INDEX": "3", "NOMAD_ALLOC_ID": "5f6b2a9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"})
	for _, tc := range []struct {
		args []string
		env  func(string) string
		want Options
	}{
		{[]string{"--plan", "p.json", "map", "--index", "2", "--attempt", "a1"}, env(nil),
			Options{PlanFile: "p.json", Kind: jobs.MapTask, Index: 2, Attempt: "a1"}},
		{[]string{"--index", "0", "--plan", "p.json", "reduce"}, nomad,
			Options{PlanFile: "p.json", Kind: jobs.ReduceTask, Index: 0, Attempt: "5f6b2a9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}},
		{[]string{"--plan", "p.json", "reduce"}, nomad,
			Options{PlanFile: "p.json", Kind: jobs.ReduceTask, Index: 3, Attempt: "5f6b2a9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"}},
	} {
		got, err := ParseArgs(tc.args, tc.env)
		if err != nil || got != tc.want {
			t.Errorf("ParseArgs(%q) = %+v, %v; want %+v", tc.args, got, err, tc.want)
		}
	}
	got, err := ParseArgs([]string{"--plan", "p", "map", "--index", "1"}, env(nil))
	if err != nil || jobs.CheckAttemptID(got.Attempt) != nil {
		t.Errorf("without NOMAD_ALLOC_ID: attempt %q, %v; want a generated id", got.Attempt, err)
	}
}

func TestParseArgsRejects(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "no task kind"},
		{[]string{"--plan", "p"}, "no task kind"},
		{[]string{"--plan", "p", "sort"}, `task kind "sort": want "map" or "reduce"`},
		{[]string{"map", "--index", "0"}, "no plan"},
		{[]string{"--plan", "p", "map"}, "no task index: pass --index N or set NOMAD_ALLOC_INDEX"},
		{[]string{"--plan", "p", "map", "--index", "-1"}, `task index "-1"`},
		{[]string{"--plan", "p", "map", "--index", "1", "extra"}, `unexpected argument "extra"`},
		{[]string{"--bogus", "map"}, "flag provided but not defined"},
	} {
		_, err := ParseArgs(tc.args, func(string) string { return "" })
		var ue usageError
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseArgs(%q): error %v does not say %q", tc.args, err, tc.want)
		} else if !errors.As(err, &ue) {
			t.Errorf("ParseArgs(%q): %v is not a usage error", tc.args, err)
		}
	}
}
