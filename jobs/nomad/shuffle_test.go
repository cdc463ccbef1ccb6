package nomad

import (
	"testing"
	"time"

	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/jobs/task"
)

func TestNodeShufflePhaseJob(t *testing.T) {
	plan := testPlan()
	shared := phaseJob(plan, jobs.ReduceTask, Settings{DataDirs: []string{"/srv/data"}})
	must.SliceEmpty(t, shared.TaskGroups[0].Constraints)
	must.MapNotContainsKey(t, shared.TaskGroups[0].Tasks[0].Env, task.EnvShuffleDir)

	plan.Job.Settings.Shuffle = jobs.NodeShuffle
	job := phaseJob(plan, jobs.MapTask, Settings{DataDirs: []string{"/srv/data"}})
	g := job.TaskGroups[0]
	must.Len(t, 2, g.Constraints, must.Sprint("only nodes with a shuffle server"))
	must.Eq(t, "is_set", g.Constraints[0].Operand)
	env := g.Tasks[0].Env
	must.Eq(t, "${meta.dockmr_shuffle_dir}", env[task.EnvShuffleDir])
	must.Eq(t, "${meta.dockmr_shuffle_addr}", env[task.EnvShuffleAddr])
	must.Eq(t, "${node.unique.name}", env[task.EnvNode])
	mounts := g.Tasks[0].Config["mounts"].([]map[string]any)
	must.Len(t, 2, mounts)
	must.Eq(t, "${meta.dockmr_shuffle_dir}", mounts[1]["source"])
	must.Eq(t, mounts[1]["source"], mounts[1]["target"], must.Sprint("mounted at the same path"))
}

func TestRerunJob(t *testing.T) {
	plan := testPlan()
	job := rerunJob(plan, jobs.MapTask, 3, 2, Settings{DataDirs: []string{"/srv/data"}})
	must.Eq(t, "dockmr-job_20261125000000_abcd1234-map-rerun-00003-2", *job.ID)
	must.Eq(t, 1, *job.TaskGroups[0].Count)
	must.Eq(t, []string{"--plan", plan.PlanFile(), "map", "--index", "3"}, job.TaskGroups[0].Tasks[0].Config["args"].([]string))
	must.Eq(t, plan.ID, job.Meta[MetaJobID], must.Sprint("found by list, status and cancel"))
}

func TestShuffleJob(t *testing.T) {
	job := ShuffleJob(ShuffleOptions{Image: "dockmr/examples:dev", MaxAge: time.Hour})
	must.Eq(t, ShuffleJobID, *job.ID)
	must.Eq(t, "system", *job.Type)
	must.Len(t, 2, job.Constraints)
	tk := job.TaskGroups[0].Tasks[0]
	must.Eq(t, contract.DriverName, tk.Driver)
	must.Eq(t, contract.RuntimePath, tk.Config["command"])
	must.Eq(t, []string{"shuffle-serve", "--dir", "${meta.dockmr_shuffle_dir}", "--listen", "${meta.dockmr_shuffle_addr}", "--max-age", "1h0m0s"}, tk.Config["args"].([]string))
	must.Eq(t, "delay", *job.TaskGroups[0].RestartPolicy.Mode, must.Sprint("a dead server is restarted, not given up"))
}
