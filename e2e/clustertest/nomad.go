package clustertest

import (
	"fmt"
	"strings"

	"github.com/dockmr/dockmr/devcluster"
)

// NomadState describes the cluster's jobs, their evaluations and their
// allocations, for the message of a test whose job hangs.
func NomadState(c *devcluster.Cluster) string {
	var b strings.Builder
	jobList, _, err := c.API.Jobs().List(nil)
	if err != nil {
		return err.Error()
	}
	for _, j := range jobList {
		fmt.Fprintf(&b, "job %s: %s\n", j.ID, j.Status)
		evals, _, _ := c.API.Jobs().Evaluations(j.ID, nil)
		for _, e := range evals {
			fmt.Fprintf(&b, "  eval %.8s %s %s %s", e.ID, e.TriggeredBy, e.Status, e.StatusDescription)
			for tg, m := range e.FailedTGAllocs {
				fmt.Fprintf(&b, " failed %s: %v %v", tg, m.ConstraintFiltered, m.DimensionExhausted)
			}
			b.WriteString("\n")
		}
		allocs, _, _ := c.API.Jobs().Allocations(j.ID, true, nil)
		for _, a := range allocs {
			fmt.Fprintf(&b, "  alloc %.8s %s node %.8s desired %s client %s next %.8s followup %.8s\n",
				a.ID, a.Name, a.NodeID, a.DesiredStatus, a.ClientStatus, a.NextAllocation, a.FollowupEvalID)
		}
	}
	return b.String()
}
