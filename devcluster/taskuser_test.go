package devcluster

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/shoenig/test/must"
)

func TestTaskUser(t *testing.T) {
	if os.Geteuid() == 0 {
		must.Eq(t, "", taskUser(), must.Sprint("root leaves the driver's default user, nobody"))
		return
	}
	must.Eq(t, fmt.Sprintf("%d:%d", os.Geteuid(), os.Getegid()), taskUser())
}

func TestPrepareDataDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only a cluster run by root opens its data directory to nobody")
	}
	open := newDataDir(t)
	dir := filepath.Join(open, "a", "data")
	must.NoError(t, prepareDataDir(dir))
	fi, err := os.Stat(dir)
	must.NoError(t, err)
	must.Eq(t, os.ModeDir|os.ModeSticky|0o777, fi.Mode())

	closed := newDataDir(t)
	must.NoError(t, os.Chmod(closed, 0o700))
	err = prepareDataDir(filepath.Join(closed, "data"))
	must.ErrorContains(t, err, fmt.Sprintf("tasks run as nobody and cannot reach it: %s is mode 0700; choose a directory every user can reach, or run chmod o+x %s", closed, closed))
}

func TestRenderClient_DefaultUser(t *testing.T) {
	cfg := agentConfig{Name: "c", DataDir: "/state/c", PluginDir: "/bin/plugins", AllowedMount: "/data", TaskUser: "1000:1000"}
	src, err := renderClient(cfg)
	must.NoError(t, err)
	must.StrContains(t, src, `default_user   = "1000:1000"`)

	cfg.TaskUser = ""
	src, err = renderClient(cfg)
	must.NoError(t, err)
	must.StrNotContains(t, src, "default_user")
}
