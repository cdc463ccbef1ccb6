package driver

import (
	"testing"
	"time"

	"github.com/shoenig/test/must"
)

// Each bad task fails StartTask with a message naming the field and value;
// the driver keeps serving afterwards.
func TestStartTask_BadInputFailsClearly(t *testing.T) {
	td := newTestDriver(t, &PluginConfig{AllowedMounts: []string{"/srv/dockmr"}})
	cases := map[string]struct {
		tc   TaskConfig
		want string
	}{
		"malformed image": {TaskConfig{Image: "Not An Image!"}, `image: "Not An Image!" is not a valid image reference`},
		"missing image":   {TaskConfig{Image: "127.0.0.1:1/dockmr/does-not-exist:nope", ImagePullTimeout: "20s"}, `pull image "127.0.0.1:1/dockmr/does-not-exist:nope"`},
		"mount outside allowed_mounts": {TaskConfig{Mounts: []Mount{{Source: "/etc", Target: "/host-etc"}}},
			`mounts[0].source: "/etc" is not under any of allowed_mounts ["/srv/dockmr"]`},
	}
	parent := t
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			task := newTask(t, c.tc)
			// The harness' cleanup also closes its connection, so it
			// runs when the whole test ends.
			parent.Cleanup(td.MkAllocDir(task, false))
			_, _, err := td.StartTask(task)
			must.ErrorContains(t, err, c.want)
		})
	}

	// Still healthy and able to run a task.
	task := newTask(t, TaskConfig{Command: "true"})
	td.start(t, task)
	must.Eq(t, 0, td.wait(t, task.ID, time.Minute).ExitCode)
}

func TestStartTask_DaemonUnreachable(t *testing.T) {
	td := newTestDriver(t, &PluginConfig{Endpoint: "unix:///nonexistent/docker.sock"})
	task := newTask(t, TaskConfig{Command: "true"})
	cleanup := td.MkAllocDir(task, false)
	defer cleanup()
	_, _, err := td.StartTask(task)
	must.ErrorContains(t, err, "docker daemon at unix:///nonexistent/docker.sock does not answer")
}
