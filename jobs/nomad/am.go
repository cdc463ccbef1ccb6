package nomad

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"time"

	"github.com/hashicorp/nomad/api"
	"go.opentelemetry.io/otel/trace"

	"github.com/dockmr/dockmr/contract"
	"github.com/dockmr/dockmr/internal/telemetry"
	"github.com/dockmr/dockmr/jobs"
)

// AMPhase is the dockmr_phase of a job's application master: the Nomad job
// that runs a detached dockmr job from inside the cluster, as Hadoop's
// application master does, so that the job outlives the command that
// submitted it.
const AMPhase = "am"

// amSpecPath is where the application master finds its AMSpec: a file
// that Nomad renders into the task's local directory, which the driver
// mounts at /local.
const amSpecPath = "/local/dockmr-am.json"

// AMSpec is everything an application master needs: the planned job and
// the settings of the phases it submits.
type AMSpec struct {
	Plan     *jobs.Plan `json:"plan"`
	Settings Settings   `json:"settings"`
}

// AMJobID is the Nomad job ID of a job's application master.
func AMJobID(planID string) string { return JobPrefix + planID + "-" + AMPhase }

// amEnv is the environment the application master reaches Nomad with:
// the submitter's address and credentials. The task runs on the host's
// network, so an address the submitter reached works from the node too,
// unless it was a loopback address of another machine.
func amEnv(cfg *api.Config) map[string]string {
	env := map[string]string{"NOMAD_ADDR": cfg.Address}
	if cfg.SecretID != "" {
		env["NOMAD_TOKEN"] = cfg.SecretID
	}
	if cfg.Region != "" {
		env["NOMAD_REGION"] = cfg.Region
	}
	if cfg.Namespace != "" {
		env["NOMAD_NAMESPACE"] = cfg.Namespace
	}
	if cfg.TLSConfig != nil && cfg.TLSConfig.Insecure {
		env["NOMAD_SKIP_VERIFY"] = "true"
	}
	return env
}

// amJob is the Nomad batch job of a job's application master: one task
// that runs `dockmr-task am` in the job's image, with the data directories
// mounted. Its spec travels inside the job as a template, whose delimiters
// cannot occur in the JSON (encoding/json escapes '<' and '>').
func amJob(spec AMSpec, env map[string]string) (*api.Job, error) {
	b, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("encode the application master's spec: %w", err)
	}
	plan := spec.Plan
	id := AMJobID(plan.ID)
	name := fmt.Sprintf("dockmr %s (%s)", plan.Job.Name, plan.ID)
	image := imageFor(plan, jobs.MapTask, spec.Settings)
	env["DOCKMR_JOB_ID"] = plan.ID

	task := &api.Task{
		Name:   AMPhase,
		Driver: contract.DriverName,
		Config: map[string]any{
			"image":   image,
			"command": contract.RuntimePath,
			"args":    []string{"am", "--spec", amSpecPath},
			"mounts":  dataMounts(spec.Settings.DataDirs),
			"labels":  []map[string]string{{LabelJobID: plan.ID}},
		},
		Env:       env,
		Resources: &api.Resources{CPU: ptr(100), MemoryMB: ptr(64)},
		Templates: []*api.Template{{
			EmbeddedTmpl: ptr(string(b)),
			DestPath:     ptr("local/dockmr-am.json"),
			LeftDelim:    ptr("<<"),
			RightDelim:   ptr(">>"),
			ChangeMode:   ptr("noop"),
		}},
		// Cancelling stops the application master first; it then stops
		// its phase and removes the job's staging directory.
		KillTimeout: ptr(30 * time.Second),
		LogConfig:   &api.LogConfig{MaxFiles: ptr(2), MaxFileSizeMB: ptr(5)},
	}
	group := &api.TaskGroup{
		Name:  ptr(AMPhase),
		Count: ptr(1),
		// A second application master would find the output directory
		// taken by the first; phases retry their tasks themselves.
		RestartPolicy:    &api.RestartPolicy{Attempts: ptr(0), Mode: ptr("fail")},
		ReschedulePolicy: &api.ReschedulePolicy{Attempts: ptr(0), Unlimited: ptr(false)},
		EphemeralDisk:    &api.EphemeralDisk{SizeMB: ptr(16)},
		Tasks:            []*api.Task{task},
	}
	job := &api.Job{
		ID:          &id,
		Name:        &name,
		Type:        ptr(api.JobTypeBatch),
		Datacenters: datacenters(spec.Settings),
		TaskGroups:  []*api.TaskGroup{group},
		Meta:        jobMeta(plan, AMPhase, image),
	}
	return job, nil
}

// Submit starts a detached job: it registers the job's application master,
// which stages, runs and commits the job from inside the cluster. The
// application master exports telemetry as the submitter does (its OTEL_*
// variables) and its job's trace continues the submit span.
func Submit(ctx context.Context, client *api.Client, plan *jobs.Plan, s Settings) (err error) {
	ctx, span := tracer.Start(ctx, "submit "+plan.Job.Name, trace.WithAttributes(
		telemetry.JobID.String(plan.ID), telemetry.JobName.String(plan.Job.Name)))
	defer func() { endSpan(span, err) }()
	if err := checkS3(ctx, plan); err != nil {
		return err
	}
	if err := CheckPaths(plan, s); err != nil {
		return err
	}
	for _, kind := range []jobs.TaskKind{jobs.MapTask, jobs.ReduceTask} {
		if plan.Tasks(kind) > 0 && imageFor(plan, kind, s) == "" {
			return fmt.Errorf("no image for the %s phase: pass --image or set image in the job spec", kind)
		}
	}
	env := amEnv(clientConfig(client))
	maps.Copy(env, telemetry.ExporterEnv(os.Environ()))
	maps.Copy(env, telemetry.Env(ctx))
	job, err := amJob(AMSpec{Plan: plan, Settings: s}, env)
	if err != nil {
		return err
	}
	if usesS3(plan) {
		// The application master gets the credentials as the tasks
		// do, and deletes them when it ends.
		forget, err := shareS3Credentials(ctx, client, job)
		if err != nil {
			return err
		}
		defer func() {
			if err != nil {
				forget()
			}
		}()
	}
	if _, _, err := client.Jobs().Register(job, nil); err != nil {
		return fmt.Errorf("submit Nomad job %s: %w", *job.ID, err)
	}
	return nil
}

// clientConfig is the configuration a client was made from, as far as the
// application master needs it: the environment's, with the address the
// client really uses.
func clientConfig(client *api.Client) *api.Config {
	cfg := api.DefaultConfig()
	if addr := client.Address(); addr != "" {
		cfg.Address = addr
	}
	return cfg
}
