package nomad

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/nomad/api"
)

// nomadJob is one Nomad job of a dockmr job: a phase or the application
// master.
type nomadJob struct {
	stub  *api.JobListStub
	phase string
}

// phaseOrder sorts a job's Nomad jobs as they run.
var phaseOrder = []string{AMPhase, "map", "reduce"}

// listJobs returns the Nomad jobs dockmr submitted whose ID starts with
// prefix, grouped by dockmr job ID, each group in phase order.
func listJobs(client *api.Client, prefix string) (map[string][]nomadJob, error) {
	stubs, _, err := client.Jobs().ListOptions(&api.JobListOptions{Fields: &api.JobListFields{Meta: true}},
		&api.QueryOptions{Prefix: prefix})
	if err != nil {
		return nil, fmt.Errorf("list Nomad jobs: %w", err)
	}
	byJob := map[string][]nomadJob{}
	for _, s := range stubs {
		id, phase := s.Meta[MetaJobID], s.Meta[MetaPhase]
		if id == "" || !strings.HasPrefix(s.ID, JobPrefix) {
			continue
		}
		byJob[id] = append(byJob[id], nomadJob{stub: s, phase: phase})
	}
	for _, js := range byJob {
		slices.SortFunc(js, func(a, b nomadJob) int {
			return slices.Index(phaseOrder, a.phase) - slices.Index(phaseOrder, b.phase)
		})
	}
	return byJob, nil
}

// jobsOf returns the Nomad jobs of one dockmr job, or an error saying how
// to find the job IDs.
func jobsOf(client *api.Client, id string) ([]nomadJob, error) {
	if id == "" || strings.ContainsAny(id, "/ ") {
		return nil, fmt.Errorf("job ID %q: want an ID as 'dockmr list' shows, like job_20260101120000_0123abcd", id)
	}
	byJob, err := listJobs(client, JobPrefix+id+"-")
	if err != nil {
		return nil, err
	}
	if len(byJob[id]) == 0 {
		return nil, fmt.Errorf("job %s: Nomad has no job of it (it may have been garbage-collected); 'dockmr list' shows the jobs", id)
	}
	return byJob[id], nil
}
