package nomad

import (
	"context"
	"fmt"
	"os"

	"github.com/hashicorp/nomad/api"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/storage"
)

// S3 on Nomad: a phase's tasks get the submitter's S3 credentials through
// a Nomad Variable at nomad/jobs/<phase job ID>, which only that job's
// tasks may read (Nomad's implicit workload-identity policy), rendered by a
// template block into the task's secrets directory in the AWS shared
// credentials format. Nothing secret is in the job: anyone who can read a
// job can read its env and meta. The variable is deleted with the phase.

// credentialsFile is where a task's template renders its S3 credentials,
// relative to the task directory.
const credentialsFile = "secrets/aws-credentials"

// credentialsTemplate renders the variable at path as a credentials file.
const credentialsTemplate = `{{ with nomadVar %q }}[default]
aws_access_key_id = {{ .access_key_id }}
aws_secret_access_key = {{ .secret_access_key }}
{{ if .session_token }}aws_session_token = {{ .session_token }}
{{ end }}{{ end }}`

// s3Settings are the non-secret variables that tasks get as they are.
var s3Settings = []string{"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", "AWS_REGION", storage.PathStyleEnv, storage.AltPathStyleEnv}

// usesS3 reports whether a job reads or writes S3.
func usesS3(plan *jobs.Plan) bool {
	if plan.Job.OutputURL != "" {
		return true
	}
	for _, p := range plan.Job.Input.Paths {
		if storage.IsURL(p) {
			return true
		}
	}
	return false
}

// credentialsPath is the variable that holds a phase job's credentials.
func credentialsPath(jobID string) string { return "nomad/jobs/" + jobID }

// addS3Access gives a phase's task the S3 settings from getenv and the
// template that renders its credentials into its secrets directory.
func addS3Access(task *api.Task, jobID string, getenv func(string) string) {
	for _, name := range s3Settings {
		if v := getenv(name); v != "" {
			task.Env[name] = v
		}
	}
	if task.Env["AWS_REGION"] == "" {
		task.Env["AWS_REGION"] = storage.DefaultRegion
	}
	task.Env["AWS_SHARED_CREDENTIALS_FILE"] = "${NOMAD_SECRETS_DIR}/aws-credentials"
	task.Env["AWS_CONFIG_FILE"] = "/dev/null"
	task.Env["AWS_EC2_METADATA_DISABLED"] = "true"
	task.Templates = append(task.Templates, &api.Template{
		EmbeddedTmpl: ptr(fmt.Sprintf(credentialsTemplate, credentialsPath(jobID))),
		DestPath:     ptr(credentialsFile),
		ChangeMode:   ptr("noop"),
		Perms:        ptr("0644"),
	})
}

// shareS3Credentials writes this process's S3 credentials into the Nomad
// job's variable and gives the job's task access to them; the returned
// function deletes the variable.
func shareS3Credentials(ctx context.Context, client *api.Client, job *api.Job) (func(), error) {
	creds, err := storage.Credentials(ctx)
	if err != nil {
		return nil, err
	}
	path := credentialsPath(*job.ID)
	items := api.VariableItems{"access_key_id": creds.AccessKeyID, "secret_access_key": creds.SecretAccessKey}
	if creds.SessionToken != "" {
		items["session_token"] = creds.SessionToken
	}
	if _, _, err := client.Variables().Update(&api.Variable{Path: path, Items: items}, nil); err != nil {
		return nil, fmt.Errorf("hand the S3 credentials to the tasks through the Nomad Variable %s: %w; the token needs write access to variables", path, err)
	}
	addS3Access(job.TaskGroups[0].Tasks[0], *job.ID, os.Getenv)
	return func() { forgetCredentials(client, *job.ID) }, nil
}

// forgetCredentials deletes a Nomad job's credentials variable.
func forgetCredentials(client *api.Client, jobID string) {
	_, _ = client.Variables().Delete(credentialsPath(jobID), nil) // the job is over either way
}

// checkS3 checks, before a detached job is submitted, what its
// application master would find only in its log: an S3 output that cannot
// be written or holds output already.
func checkS3(ctx context.Context, plan *jobs.Plan) error {
	if plan.Job.OutputURL == "" {
		return nil
	}
	if err := plan.CheckS3Output(ctx); err != nil {
		return err
	}
	return plan.OpenStaging()
}
