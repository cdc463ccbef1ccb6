package driver

import (
	"testing"
	"time"

	"github.com/shoenig/test/must"
)

// The Docker API fallback serves hosts whose cgroup files the plugin cannot
// read; here it runs against a real container.
func TestStats_APIFallback(t *testing.T) {
	td := newTestDriver(t, nil)
	task := newTask(t, TaskConfig{Command: "sh", Args: []string{"-c", "while :; do :; done"}})
	td.start(t, task)
	h, _ := td.impl.tasks.Get(task.ID)

	sample := h.stats.apiSampler()
	first, err := sample(time.Now())
	must.NoError(t, err)
	must.Positive(t, first.ResourceUsage.MemoryStats.Usage)
	second, err := sample(time.Now())
	must.NoError(t, err)
	must.Positive(t, second.ResourceUsage.CpuStats.Percent)
}
