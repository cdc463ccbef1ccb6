package nomadtest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/hashicorp/nomad/api"
)

// FindEvent returns the first event of the given type of task, or nil.
func FindEvent(alloc *api.Allocation, task, eventType string) *api.TaskEvent {
	ts := alloc.TaskStates[task]
	if ts == nil {
		return nil
	}
	for _, e := range ts.Events {
		if e.Type == eventType {
			return e
		}
	}
	return nil
}

// FindEvents returns all events of the given type of task.
func FindEvents(alloc *api.Allocation, task, eventType string) []*api.TaskEvent {
	var out []*api.TaskEvent
	if ts := alloc.TaskStates[task]; ts != nil {
		for _, e := range ts.Events {
			if e.Type == eventType {
				out = append(out, e)
			}
		}
	}
	return out
}

// DescribeAlloc summarises an allocation's status and task events, for
// error messages and test logs.
func DescribeAlloc(alloc *api.Allocation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "allocation %s client status %q", alloc.ID, alloc.ClientStatus)
	tasks := make([]string, 0, len(alloc.TaskStates))
	for t := range alloc.TaskStates {
		tasks = append(tasks, t)
	}
	sort.Strings(tasks)
	for _, t := range tasks {
		ts := alloc.TaskStates[t]
		fmt.Fprintf(&b, "\n  task %s: state %s failed=%t", t, ts.State, ts.Failed)
		for _, e := range ts.Events {
			fmt.Fprintf(&b, "\n    %s: %s", e.Type, eventText(e))
		}
	}
	return b.String()
}

func eventText(e *api.TaskEvent) string {
	msg := e.DisplayMessage
	if msg == "" {
		msg = e.Message
	}
	if len(e.Details) == 0 {
		return msg
	}
	keys := make([]string, 0, len(e.Details))
	for k := range e.Details {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + e.Details[k]
	}
	return msg + " {" + strings.Join(parts, " ") + "}"
}
