package nomad

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/jobs"
)

func TestAMJob(t *testing.T) {
	plan := testPlan()
	s := Settings{DataDirs: []string{"/srv/data"}, Image: "ignored", MaxAttempts: 4}
	job, err := amJob(AMSpec{Plan: plan, Settings: s}, map[string]string{"NOMAD_ADDR": "http://10.0.0.1:4646"})
	must.NoError(t, err)

	must.Eq(t, "dockmr-job_20261125000000_abcd1234-am", *job.ID)
	must.Eq(t, AMPhase, job.Meta[MetaPhase])
	must.Eq(t, plan.ID, job.Meta[MetaJobID])
	tg := job.TaskGroups[0]
	must.Eq(t, 1, *tg.Count)
	must.Eq(t, 0, *tg.ReschedulePolicy.Attempts, must.Sprint("a second master would find the output taken"))
	must.Eq(t, 0, *tg.RestartPolicy.Attempts)

	task := tg.Tasks[0]
	must.Eq(t, "dockmr/examples:dev", task.Config["image"], must.Sprint("the job's image"))
	must.Eq(t, []string{"am", "--spec", amSpecPath}, task.Config["args"].([]string))
	must.Eq(t, "http://10.0.0.1:4646", task.Env["NOMAD_ADDR"])
	must.Eq(t, plan.ID, task.Env["DOCKMR_JOB_ID"])

	// The template carries the spec verbatim: its delimiters cannot occur
	// in the JSON, so Nomad renders it unchanged.
	tmpl := task.Templates[0]
	must.Eq(t, "local/dockmr-am.json", *tmpl.DestPath)
	body := *tmpl.EmbeddedTmpl
	must.StrNotContains(t, body, *tmpl.LeftDelim)
	must.StrNotContains(t, body, *tmpl.RightDelim)
	var back AMSpec
	must.NoError(t, json.Unmarshal([]byte(body), &back))
	must.Eq(t, plan.Job.Reduce.Image, back.Plan.Job.Reduce.Image)
	must.Eq(t, s, back.Settings)
}

func TestAMJobDelimitersSurviveAnyCommand(t *testing.T) {
	plan := testPlan()
	plan.Job.Map = jobs.Phase{Func: jobs.Stream, Command: []string{"sh", "-c", "echo '<<x>>' {{ .y }}"}}
	job, err := amJob(AMSpec{Plan: plan}, map[string]string{})
	must.NoError(t, err)
	must.False(t, strings.Contains(*job.TaskGroups[0].Tasks[0].Templates[0].EmbeddedTmpl, "<<"))
}

func TestAMEnv(t *testing.T) {
	cfg := &api.Config{Address: "https://nomad:4646", SecretID: "s3cret", Region: "eu", Namespace: "batch",
		TLSConfig: &api.TLSConfig{Insecure: true}}
	must.Eq(t, map[string]string{
		"NOMAD_ADDR": "https://nomad:4646", "NOMAD_TOKEN": "s3cret", "NOMAD_REGION": "eu",
		"NOMAD_NAMESPACE": "batch", "NOMAD_SKIP_VERIFY": "true",
	}, amEnv(cfg))
	must.Eq(t, map[string]string{"NOMAD_ADDR": "http://127.0.0.1:4646"}, amEnv(&api.Config{Address: "http://127.0.0.1:4646"}))
}

func TestParseTask(t *testing.T) {
	for name, want := range map[string]struct {
		phase string
		index int
	}{"m-00003": {"map", 3}, "r-0": {"reduce", 0}, "am": {AMPhase, 0}} {
		phase, index, err := ParseTask(name)
		must.NoError(t, err)
		must.Eq(t, want.phase, phase)
		must.Eq(t, want.index, index)
	}
	for _, bad := range []string{"", "map-3", "m-", "x-00001", "m-1a"} {
		_, _, err := ParseTask(bad)
		must.ErrorContains(t, err, "want a task like m-00003")
	}
}

func TestJudgeState(t *testing.T) {
	running := PhaseStatus{Progress: Progress{Phase: "map"}, NomadStatus: "running"}
	dead := func(phase string) PhaseStatus {
		return PhaseStatus{Progress: Progress{Phase: phase}, NomadStatus: "dead"}
	}
	for _, tc := range []struct {
		st      JobStatus
		stopped bool
		want    string
	}{
		{JobStatus{Result: &jobs.Result{}, Error: "x"}, false, StateComplete},
		{JobStatus{Error: "task 0 failed", Phases: []PhaseStatus{running}}, false, StateFailed},
		{JobStatus{Phases: []PhaseStatus{dead("map")}}, true, StateCancelled},
		{JobStatus{Phases: []PhaseStatus{running}}, false, StateRunning},
		{JobStatus{Phases: []PhaseStatus{dead("map")}}, false, StateRunning}, // between phases
		{JobStatus{Phases: []PhaseStatus{dead("map"), dead("reduce")}}, false, StateComplete},
		{JobStatus{Detached: true, Phases: []PhaseStatus{dead(AMPhase), dead("map")}}, false, StateComplete},
	} {
		must.Eq(t, tc.want, judgeState(&tc.st, tc.stopped, "reduce"), must.Sprintf("%+v stopped=%v", tc.st, tc.stopped))
	}
	// A map-only job ends with its map phase.
	must.Eq(t, StateComplete, judgeState(&JobStatus{Phases: []PhaseStatus{dead("map")}}, false, "map"))
}
