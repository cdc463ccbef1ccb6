package nomadtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/nomad/api"
)

// ParseJobFile parses an HCL job file through the agent's /v1/jobs/parse
// endpoint. vars are the job's HCL2 input variables, as `-var k=v` would give
// them to `nomad job run`.
func (c *Cluster) ParseJobFile(path string, vars map[string]string) (*api.Job, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read job file: %w", err)
	}
	job, err := c.ParseJob(string(src), vars)
	if err != nil {
		return nil, fmt.Errorf("job file %s: %w", path, err)
	}
	return job, nil
}

// ParseJob parses HCL job source through the agent, with HCL2 input variables.
func (c *Cluster) ParseJob(src string, vars map[string]string) (*api.Job, error) {
	job, err := c.API.Jobs().ParseHCLOpts(&api.JobsParseRequest{
		JobHCL:       src,
		Variables:    varFile(vars),
		Canonicalize: true,
	})
	if err != nil {
		return nil, fmt.Errorf("parse job: %w", err)
	}
	return job, nil
}

// varFile renders vars as the content of an HCL variables file, in a stable order.
func varFile(vars map[string]string) string {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s = %s\n", k, hclString(vars[k]))
	}
	return b.String()
}

// hclString quotes s as an HCL string literal; template sequences are escaped
// so the value is taken literally.
func hclString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", `\r`, "\t", `\t`, "${", "$${", "%{", "%%{")
	return `"` + r.Replace(s) + `"`
}

// Unique gives job an ID and name no other job on the agent has, derived
// from base (typically the test name), and returns it.
func Unique(job *api.Job, base string) *api.Job {
	id := sanitizeID(base) + "-" + randomID()
	job.ID = &id
	job.Name = &id
	return job
}

// randomID is a short random hex string.
func randomID() string {
	b := make([]byte, 4)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func sanitizeID(s string) string {
	s = strings.ToLower(s)
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, s)
}

// Register submits job and returns the evaluation ID.
func (c *Cluster) Register(job *api.Job) (string, error) {
	resp, _, err := c.API.Jobs().Register(job, nil)
	if err != nil {
		return "", fmt.Errorf("register job %s: %w", deref(job.ID), err)
	}
	return resp.EvalID, nil
}

// Allocations returns the allocations of a job.
func (c *Cluster) Allocations(jobID string) ([]*api.AllocationListStub, error) {
	allocs, _, err := c.API.Jobs().Allocations(jobID, true, nil)
	if err != nil {
		return nil, fmt.Errorf("list allocations of job %s: %w", jobID, err)
	}
	return allocs, nil
}

// WaitAllocations waits until job jobID has at least n allocations and
// returns them.
func (c *Cluster) WaitAllocations(ctx context.Context, jobID string, n int) ([]*api.AllocationListStub, error) {
	var allocs []*api.AllocationListStub
	err := waitFor(ctx, fmt.Sprintf("%d allocations of job %s", n, jobID), func() (bool, string, error) {
		var err error
		if allocs, err = c.Allocations(jobID); err != nil {
			return false, err.Error(), nil
		}
		if len(allocs) >= n {
			return true, "", nil
		}
		seen := fmt.Sprintf("%d allocations", len(allocs))
		if blocked := c.blockedReason(jobID); blocked != "" {
			seen += "; " + blocked
		}
		return false, seen, nil
	})
	return allocs, err
}

// blockedReason describes why the scheduler could not place a job, if it could not.
func (c *Cluster) blockedReason(jobID string) string {
	evals, _, err := c.API.Jobs().Evaluations(jobID, nil)
	if err != nil {
		return ""
	}
	var parts []string
	for _, e := range evals {
		for tg, m := range e.FailedTGAllocs {
			parts = append(parts, fmt.Sprintf("eval %.8s (%s): group %s not placed: %d nodes evaluated, filtered by class %v, constraint %v, exhausted %v",
				e.ID, e.Status, tg, m.NodesEvaluated, m.ClassFiltered, m.ConstraintFiltered, m.DimensionExhausted))
		}
		if e.Status == api.EvalStatusBlocked {
			parts = append(parts, fmt.Sprintf("eval %.8s blocked", e.ID))
		}
	}
	return strings.Join(parts, "; ")
}

// RunJob registers job and waits for its first allocation to exist.
func (c *Cluster) RunJob(ctx context.Context, job *api.Job) (*api.Allocation, error) {
	if _, err := c.Register(job); err != nil {
		return nil, err
	}
	allocs, err := c.WaitAllocations(ctx, *job.ID, 1)
	if err != nil {
		return nil, err
	}
	return c.Allocation(allocs[0].ID)
}

// Allocation returns the current state of an allocation.
func (c *Cluster) Allocation(id string) (*api.Allocation, error) {
	alloc, _, err := c.API.Allocations().Info(id, nil)
	if err != nil {
		return nil, fmt.Errorf("read allocation %s: %w", id, err)
	}
	return alloc, nil
}

// WaitAlloc waits until cond holds for allocation id and returns it. what
// names the awaited condition in the timeout error, which also describes the
// allocation as last seen.
func (c *Cluster) WaitAlloc(ctx context.Context, id, what string, cond func(*api.Allocation) bool) (*api.Allocation, error) {
	var alloc *api.Allocation
	err := waitFor(ctx, what+" in allocation "+id, func() (bool, string, error) {
		var err error
		if alloc, err = c.Allocation(id); err != nil {
			return false, err.Error(), nil
		}
		return cond(alloc), DescribeAlloc(alloc), nil
	})
	return alloc, err
}

// WaitTaskState waits until task is in state ("pending", "running" or "dead").
// It returns early with an error if the task is dead while another state is
// awaited, since a dead task never changes state again.
func (c *Cluster) WaitTaskState(ctx context.Context, allocID, task, state string) (*api.Allocation, error) {
	var dead bool
	alloc, err := c.WaitAlloc(ctx, allocID, "task "+task+" "+state, func(al *api.Allocation) bool {
		ts := al.TaskStates[task]
		if ts == nil {
			return false
		}
		dead = ts.State == "dead" && state != "dead"
		return ts.State == state || dead
	})
	if err == nil && dead {
		return alloc, fmt.Errorf("task %s is dead, not %s: %s", task, state, DescribeAlloc(alloc))
	}
	return alloc, err
}

// WaitClientStatus waits until the allocation's client status is one of statuses.
func (c *Cluster) WaitClientStatus(ctx context.Context, allocID string, statuses ...string) (*api.Allocation, error) {
	return c.WaitAlloc(ctx, allocID, "client status "+strings.Join(statuses, " or "), func(al *api.Allocation) bool {
		for _, s := range statuses {
			if al.ClientStatus == s {
				return true
			}
		}
		return false
	})
}

// WaitTaskEvent waits until task has an event of the given type and returns
// the first one.
func (c *Cluster) WaitTaskEvent(ctx context.Context, allocID, task, eventType string) (*api.TaskEvent, error) {
	var ev *api.TaskEvent
	_, err := c.WaitAlloc(ctx, allocID, "task "+task+" event "+eventType, func(al *api.Allocation) bool {
		ev = FindEvent(al, task, eventType)
		return ev != nil
	})
	return ev, err
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
