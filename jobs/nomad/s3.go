package nomad

import (
	"fmt"

	"github.com/dockmr/dockmr/jobs"
	"github.com/dockmr/dockmr/storage"
)

// refuseS3 refuses s3:// input and output, which the Nomad runner does not
// run yet: its tasks would need the S3 credentials, and those must reach
// them through the task's secrets directory, not the job's environment
// (docs/architecture.md, "S3 on Nomad").
func refuseS3(plan *jobs.Plan) error {
	if loc := plan.OutputLocation(); loc.IsS3() {
		return fmt.Errorf("output %s: s3:// output runs with --local only for now; the Nomad runner does not hand S3 credentials to its tasks yet", loc)
	}
	for _, p := range plan.InputPaths() {
		if storage.IsURL(p) {
			return fmt.Errorf("input %s: s3:// input runs with --local only for now; the Nomad runner does not hand S3 credentials to its tasks yet", p)
		}
	}
	return nil
}
