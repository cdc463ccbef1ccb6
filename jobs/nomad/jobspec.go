package nomad

import (
	"fmt"
	"maps"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/nomad/api"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/storage"
)

// Meta keys put on every Nomad job of a dockmr job, so that `dockmr list`,
// `status` and `cancel` find a job's phases from Nomad alone.
const (
	MetaJobID  = "dockmr_job_id"
	MetaName   = "dockmr_name"
	MetaPhase  = "dockmr_phase"
	MetaPlan   = "dockmr_plan"
	MetaOutput = "dockmr_output"
	MetaImage  = "dockmr_image"
	// MetaLastPhase is the job's last phase, map or reduce.
	MetaLastPhase = "dockmr_last_phase"
)

// LabelJobID labels every container of a dockmr job with the job's ID, so
// that `docker ps --filter label=dockmr_job_id=ID` finds them.
const LabelJobID = "dockmr_job_id"

// JobPrefix starts the ID of every Nomad job dockmr submits.
const JobPrefix = "dockmr-"

// Settings shape the Nomad jobs of a phase, and how the runner follows
// them.
type Settings struct {
	// Image is used when neither the job nor the phase names one.
	Image string
	// DataDirs are host directories every client sees at the same path
	// (a local directory, or an NFS mount). They are mounted into each task
	// at that path and must hold the job's input and output.
	DataDirs []string
	// Datacenters to run in; empty means all.
	Datacenters []string
	// CPU in MHz and MemoryMB per task; zero picks defaults sized from
	// the job's sort memory.
	CPU      int
	MemoryMB int
	// MemoryMaxMB is the hard limit a task may grow to when its node has
	// memory free; zero picks 4 × MemoryMB, at least 2048. On cgroup v1 the
	// page cache of the files a task writes counts against its limit, and
	// a limit at the reservation throttles the task's writes (terasort took
	// 7.3 s at 448 MiB and 4.6 s at 3000 MiB). Nomad applies it only with
	// memory oversubscription enabled on the servers.
	MemoryMaxMB int
	// MaxAttempts is how many allocations a task may use before the phase
	// fails; zero takes the job's setting.
	MaxAttempts int
	// RescheduleDelay is the wait before a failed task's next attempt;
	// Nomad requires 5s or more, the default.
	RescheduleDelay time.Duration
	// OutageWait is how long a phase waits for a Nomad that does not
	// answer before it fails; zero means DefaultOutageWait.
	OutageWait time.Duration
}

// minRescheduleDelay is the shortest wait before a rescheduled attempt
// that Nomad accepts.
const minRescheduleDelay = 5 * time.Second

// PhaseJobID is the Nomad job ID of a phase of a planned job.
func PhaseJobID(plan *jobs.Plan, kind jobs.TaskKind) string {
	return JobPrefix + plan.ID + "-" + string(kind)
}

// imageFor returns the image of a phase: the phase's own, the job's, or
// the runner's default.
func imageFor(plan *jobs.Plan, kind jobs.TaskKind, s Settings) string {
	if ph := plan.Phase(kind); ph != nil && ph.Image != "" {
		return ph.Image
	}
	if plan.Job.Image != "" {
		return plan.Job.Image
	}
	return s.Image
}

// CheckPaths makes sure tasks will see the job's files: the input paths
// and the output directory must lie under one of the data directories.
func CheckPaths(plan *jobs.Plan, s Settings) error {
	if len(s.DataDirs) == 0 {
		return fmt.Errorf("no shared data directory: pass --data-dir with a directory every Nomad client sees at the same path")
	}
	check := func(what, p string) error {
		for _, d := range s.DataDirs {
			if p == d || strings.HasPrefix(p, strings.TrimSuffix(d, "/")+"/") {
				return nil
			}
		}
		return fmt.Errorf("%s %q is not under the shared data directories %q that tasks mount; move it there or pass --data-dir", what, p, s.DataDirs)
	}
	for _, p := range plan.Job.Input.Paths {
		if storage.IsURL(p) {
			continue // read from S3, not from a mount
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return err
		}
		if err := check("input", abs); err != nil {
			return err
		}
	}
	if plan.Job.OutputURL != "" {
		if err := check("output", plan.Job.Output); err != nil {
			return fmt.Errorf("output %s keeps its plan and map output in %s, which tasks would not see: set %s to a directory under --data-dir %q",
				plan.Job.OutputURL, plan.Job.Output, jobs.StagingRootEnv, s.DataDirs)
		}
		return nil
	}
	return check("output", plan.Job.Output)
}

// phaseJob is the Nomad batch job of one phase. It is pure, so every
// setting it makes is unit-tested.
func phaseJob(plan *jobs.Plan, kind jobs.TaskKind, s Settings) *api.Job {
	id := PhaseJobID(plan, kind)
	name := fmt.Sprintf("dockmr %s %s (%s)", plan.Job.Name, kind, plan.ID)
	count := plan.Tasks(kind)
	image := imageFor(plan, kind, s)

	attempts := s.MaxAttempts
	if attempts <= 0 {
		attempts = max(plan.Job.Settings.MaxAttempts, 1)
	}
	delay := s.RescheduleDelay
	if delay <= 0 {
		delay = minRescheduleDelay
	}
	cpu, mem := s.CPU, s.MemoryMB
	if cpu <= 0 {
		cpu = contract.DefaultCPU
	}
	if mem <= 0 {
		// Room for the sort buffer, a merge's read buffers and the
		// runtime itself.
		mem = max(256, plan.Job.Settings.SortMB*3/2+64)
	}
	memMax := s.MemoryMaxMB
	if memMax <= 0 {
		memMax = max(4*mem, 2048)
	}
	memMax = max(memMax, mem)

	task := &api.Task{
		Name:   string(kind),
		Driver: contract.DriverName,
		Config: map[string]any{
			"image":   image,
			"command": contract.RuntimePath,
			"args":    []string{"--plan", plan.PlanFile(), string(kind)},
			"mounts":  dataMounts(s.DataDirs),
			"labels":  []map[string]string{{LabelJobID: plan.ID}},
		},
		Resources: &api.Resources{CPU: &cpu, MemoryMB: &mem, MemoryMaxMB: &memMax},
		// A task killed mid-write leaves only its attempt directory, which
		// the job's commit ignores; a short timeout keeps cancel quick.
		KillTimeout: ptr(5 * time.Second),
		LogConfig:   &api.LogConfig{MaxFiles: ptr(2), MaxFileSizeMB: ptr(10)},
		Env:         map[string]string{"DOCKMR_JOB_ID": plan.ID},
	}

	group := &api.TaskGroup{
		Name:  ptr(string(kind)),
		Count: &count,
		// A retry is a new allocation, hence a new NOMAD_ALLOC_ID and a new
		// attempt directory; it may land on another node.
		RestartPolicy: &api.RestartPolicy{Attempts: ptr(0), Mode: ptr("fail")},
		ReschedulePolicy: &api.ReschedulePolicy{
			Attempts:      ptr(attempts - 1),
			Interval:      ptr(24 * time.Hour),
			Delay:         &delay,
			DelayFunction: ptr("constant"),
			Unlimited:     ptr(false),
		},
		EphemeralDisk: &api.EphemeralDisk{SizeMB: ptr(64)},
		// Nomad packs allocations onto few nodes by default; a phase's
		// tasks read and write at disk speed, so spread them over nodes.
		Spreads: []*api.Spread{{Attribute: "${node.unique.id}", Weight: ptr(int8(100))}},
		Tasks:   []*api.Task{task},
	}

	if plan.Job.Settings.Shuffle == jobs.NodeShuffle && plan.Reduces() > 0 {
		// Map output stays on the node: tasks learn where from the node's
		// meta, mount its shuffle directory, and run only where there is
		// a shuffle server.
		maps.Copy(task.Env, shuffleEnv())
		dir := "${meta." + MetaShuffleDir + "}"
		task.Config["mounts"] = append(dataMounts(s.DataDirs), map[string]any{"source": dir, "target": dir, "readonly": false})
		group.Constraints = shuffleConstraints()
	}

	job := &api.Job{
		ID:          &id,
		Name:        &name,
		Type:        ptr(api.JobTypeBatch),
		Datacenters: datacenters(s),
		TaskGroups:  []*api.TaskGroup{group},
		Meta:        jobMeta(plan, string(kind), image),
	}
	return job
}

// rerunJob is the one-task Nomad job of a new attempt of one task whose
// commit the job took back.
func rerunJob(plan *jobs.Plan, kind jobs.TaskKind, index, round int, s Settings) *api.Job {
	job := phaseJob(plan, kind, s)
	job.ID = ptr(fmt.Sprintf("%s-rerun-%05d-%d", PhaseJobID(plan, kind), index, round))
	job.Name = ptr(fmt.Sprintf("dockmr %s %s %d re-run %d (%s)", plan.Job.Name, kind, index, round, plan.ID))
	g := job.TaskGroups[0]
	g.Count = ptr(1)
	t := g.Tasks[0]
	t.Config["args"] = []string{"--plan", plan.PlanFile(), string(kind), "--index", strconv.Itoa(index)}
	return job
}

// jobMeta is the Meta of every Nomad job of a dockmr job.
func jobMeta(plan *jobs.Plan, phase, image string) map[string]string {
	return map[string]string{
		MetaJobID:     plan.ID,
		MetaName:      plan.Job.Name,
		MetaPhase:     phase,
		MetaPlan:      plan.PlanFile(),
		MetaOutput:    plan.Job.Output,
		MetaImage:     image,
		MetaLastPhase: string(plan.OutputKind()),
	}
}

// dataMounts mounts each data directory at its own path.
func dataMounts(dirs []string) []map[string]any {
	mounts := make([]map[string]any, 0, len(dirs))
	for _, d := range dirs {
		mounts = append(mounts, map[string]any{"source": d, "target": d, "readonly": false})
	}
	return mounts
}

// datacenters are the settings' datacenters, all of them if none is named.
func datacenters(s Settings) []string {
	if len(s.Datacenters) == 0 {
		return []string{"*"}
	}
	return s.Datacenters
}

func ptr[T any](v T) *T { return &v }
