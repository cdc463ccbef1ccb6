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

func TestCheckPathsRefusesS3(t *testing.T) {
	plan := &jobs.Plan{Job: jobs.Job{Output: "/data/_s3/tera/out", OutputURL: "s3://tera/out"}}
	err := CheckPaths(plan, Settings{DataDirs: []string{"/data"}})
	if err == nil || !strings.Contains(err.Error(), "output s3://tera/out: s3:// output runs with --local only") {
		t.Errorf("s3 output: %v", err)
	}
	plan = &jobs.Plan{Job: jobs.Job{Output: "/data/out", Input: jobs.Input{Paths: []string{"s3://tera/in"}}}}
	err = CheckPaths(plan, Settings{DataDirs: []string{"/data"}})
	if err == nil || !strings.Contains(err.Error(), "input s3://tera/in: s3:// input runs with --local only") {
		t.Errorf("s3 input: %v", err)
	}
}
