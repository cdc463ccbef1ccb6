package nomad

import (
	"strings"
	"testing"
	"time"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/jobs"
)

func testPlan() *jobs.Plan {
	return &jobs.Plan{
		ID: "job_20261125000000_abcd1234",
		Job: jobs.Job{
			Name:     "terasort",
			Image:    "dockmr/examples:dev",
			Input:    jobs.Input{Paths: []string{"/srv/data/in"}},
			Output:   "/srv/data/out",
			Map:      jobs.Phase{Func: jobs.Identity, Tasks: 4},
			Reduce:   &jobs.Phase{Func: jobs.Identity, Tasks: 2, Image: "team/reducer:1"},
			Settings: jobs.Settings{SortMB: 256, MaxAttempts: 4},
		},
	}
}

func TestPhaseJob(t *testing.T) {
	plan := testPlan()
	job := phaseJob(plan, jobs.MapTask, Settings{DataDirs: []string{"/srv/data"}})

	must.Eq(t, "dockmr-job_20261125000000_abcd1234-map", *job.ID)
	must.Eq(t, "batch", *job.Type)
	must.Eq(t, []string{"*"}, job.Datacenters)
	must.Eq(t, plan.ID, job.Meta[MetaJobID])
	must.Eq(t, "map", job.Meta[MetaPhase])
	must.Eq(t, plan.PlanFile(), job.Meta[MetaPlan])

	tg := job.TaskGroups[0]
	must.Eq(t, 4, *tg.Count)
	must.Eq(t, 0, *tg.RestartPolicy.Attempts)
	must.Eq(t, 3, *tg.ReschedulePolicy.Attempts, must.Sprint("4 attempts = first + 3 reschedules"))
	must.False(t, *tg.ReschedulePolicy.Unlimited)
	must.Eq(t, 5*time.Second, *tg.ReschedulePolicy.Delay)

	task := tg.Tasks[0]
	must.Eq(t, contract.DriverName, task.Driver)
	must.Eq(t, "dockmr/examples:dev", task.Config["image"])
	must.Eq(t, contract.RuntimePath, task.Config["command"])
	must.Eq(t, []string{"--plan", plan.PlanFile(), "map"}, task.Config["args"].([]string))
	must.Eq(t, []map[string]any{{"source": "/srv/data", "target": "/srv/data", "readonly": false}}, task.Config["mounts"].([]map[string]any))
	must.Eq(t, 448, *task.Resources.MemoryMB)
	must.Eq(t, 2048, *task.Resources.MemoryMaxMB)

	reduce := phaseJob(plan, jobs.ReduceTask, Settings{DataDirs: []string{"/srv/data"}, Image: "ignored"})
	must.Eq(t, "team/reducer:1", reduce.TaskGroups[0].Tasks[0].Config["image"], must.Sprint("phase image wins"))
	must.Eq(t, 2, *reduce.TaskGroups[0].Count)
}

func TestCheckPaths(t *testing.T) {
	plan := testPlan()
	must.NoError(t, CheckPaths(plan, Settings{DataDirs: []string{"/srv/data/"}}))
	err := CheckPaths(plan, Settings{DataDirs: []string{"/srv/database"}})
	must.ErrorContains(t, err, `input "/srv/data/in" is not under the shared data directories ["/srv/database"]`)
	must.ErrorContains(t, CheckPaths(plan, Settings{}), "--data-dir")
	plan.Job.Input.Paths = nil
	plan.Job.Output = "/tmp/out"
	must.ErrorContains(t, CheckPaths(plan, Settings{DataDirs: []string{"/srv/data"}}), `output "/tmp/out"`)
	must.True(t, strings.HasPrefix(PhaseJobID(plan, jobs.ReduceTask), JobPrefix))
}

func TestS3AccessKeepsSecretsOutOfTheJob(t *testing.T) {
	plan := &jobs.Plan{ID: "job_1", Job: jobs.Job{Name: "sort", Output: "/data/_s3/tera/out", OutputURL: "s3://tera/out"}}
	if !usesS3(plan) {
		t.Fatal("an s3:// output does not count as using S3")
	}
	job := phaseJob(plan, jobs.ReduceTask, Settings{DataDirs: []string{"/data"}})
	env := map[string]string{"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:7070", "DOCKMR_S3_PATH_STYLE": "true",
		"AWS_SECRET_ACCESS_KEY": "secret", "AWS_ACCESS_KEY_ID": "key"}
	addS3Access(job.TaskGroups[0].Tasks[0], *job.ID, func(k string) string { return env[k] })
	task := job.TaskGroups[0].Tasks[0]
	for k, v := range task.Env {
		if strings.Contains(k, "SECRET") || strings.Contains(k, "ACCESS_KEY") || v == "secret" || v == "key" {
			t.Errorf("the job's env holds %s=%s", k, v)
		}
	}
	if task.Env["AWS_ENDPOINT_URL_S3"] != "http://127.0.0.1:7070" || task.Env["DOCKMR_S3_PATH_STYLE"] != "true" ||
		task.Env["AWS_SHARED_CREDENTIALS_FILE"] != "${NOMAD_SECRETS_DIR}/aws-credentials" {
		t.Errorf("task env %v", task.Env)
	}
	if len(task.Templates) != 1 || *task.Templates[0].DestPath != "secrets/aws-credentials" ||
		!strings.Contains(*task.Templates[0].EmbeddedTmpl, `nomadVar "nomad/jobs/`+*job.ID+`"`) {
		t.Errorf("templates %+v", task.Templates)
	}
}

func TestCheckPathsSkipsS3Input(t *testing.T) {
	plan := &jobs.Plan{Job: jobs.Job{Output: "/data/out", Input: jobs.Input{Paths: []string{"s3://tera/in", "/data/in"}}}}
	if err := CheckPaths(plan, Settings{DataDirs: []string{"/data"}}); err != nil {
		t.Errorf("s3 input: %v", err)
	}
	plan.Job.Input.Paths = append(plan.Job.Input.Paths, "/elsewhere/in")
	if err := CheckPaths(plan, Settings{DataDirs: []string{"/data"}}); err == nil {
		t.Error("a path outside the data directories passed")
	}
}

func TestCheckPathsS3OutputStagesUnderDataDir(t *testing.T) {
	plan := &jobs.Plan{Job: jobs.Job{Output: "/tmp/dockmr-staging/_s3/tera/out", OutputURL: "s3://tera/out",
		Input: jobs.Input{Paths: []string{"s3://tera/in"}}}}
	err := CheckPaths(plan, Settings{DataDirs: []string{"/data"}})
	if err == nil || !strings.Contains(err.Error(), "set DOCKMR_STAGING_DIR to a directory under --data-dir") {
		t.Errorf("staging outside the data directories: %v", err)
	}
	plan.Job.Output = "/data/_s3/tera/out"
	if err := CheckPaths(plan, Settings{DataDirs: []string{"/data"}}); err != nil {
		t.Errorf("staging under the data directory: %v", err)
	}
}
