package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/nomad/api"
	"github.com/shoenig/test/must"

	"github.com/dockmr/dockmr/contract"
)

// Each bad job fails its task with an event naming the field and the value
// at fault, and neither the agent nor the plugin goes down.
func TestBadInput(t *testing.T) {
	c := shared(t)
	pluginPID, err := c.PluginPID(contract.DriverName)
	must.NoError(t, err)

	outside := t.TempDir() // not under the driver's allowed_mounts
	cases := []struct {
		name      string
		file      string
		vars      map[string]string
		eventType string
		want      string
	}{
		{"missing image", "bad/missing-image.nomad.hcl", nil,
			api.TaskFailedValidation, `The argument "image" is required`},
		{"malformed image", "bad/malformed-image.nomad.hcl", nil,
			api.TaskDriverFailure, `image: "Not A//Valid::Ref" is not a valid image reference`},
		{"absent image", "bad/absent-image.nomad.hcl", nil,
			api.TaskDriverFailure, `pull image "docker.io/dockmr/never-built:absent"`},
		{"unknown field", "bad/unknown-field.nomad.hcl", nil,
			api.TaskFailedValidation, `No argument or block type is named "network_mode"`},
		{"wrong type", "bad/wrong-type.nomad.hcl", nil,
			api.TaskFailedValidation, `value for attribute "args": list of string required`},
		{"mount outside allowed_mounts", "mount.nomad.hcl",
			map[string]string{"source": outside, "readonly_source": filepath.Join(mountRoot, "x")},
			api.TaskDriverFailure, fmt.Sprintf(`mounts[0].source: %q is not under any of allowed_mounts`, outside)},
	}
	// Submit all at once: a bad task must not hold up or break the others.
	allocs := make([]*api.Allocation, len(cases))
	for i, tc := range cases {
		allocs[i] = runFile(t, c, tc.file, tc.vars)
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			alloc, err := c.WaitClientStatus(t.Context(), allocs[i].ID, api.AllocClientStatusFailed, api.AllocClientStatusComplete)
			must.NoError(t, err)
			must.Eq(t, api.AllocClientStatusFailed, alloc.ClientStatus, must.Sprint(describe(alloc)))
			ev := event(t, alloc, tc.eventType)
			must.StrContains(t, ev.DisplayMessage, tc.want)
		})
	}
	requireHealthy(t, c, pluginPID)

	// A good task still runs afterwards.
	alloc := waitDead(t, c, runScript(t, c, "echo fine", nil).ID)
	must.Eq(t, 0, terminated(t, alloc).ExitCode)
}

// Sources under allowed_mounts are bind-mounted, read-write or read-only.
func TestMounts(t *testing.T) {
	c := shared(t)
	dir, err := os.MkdirTemp(mountRoot, "data-")
	must.NoError(t, err)
	must.NoError(t, os.Chmod(dir, 0o777)) // the task, as nobody, writes here
	config := filepath.Join(mountRoot, filepath.Base(dir)+".conf")
	must.NoError(t, os.WriteFile(config, []byte("from-host\n"), 0o644))

	alloc := runFile(t, c, "mount.nomad.hcl", map[string]string{"source": dir, "readonly_source": config})
	alloc = waitDead(t, c, alloc.ID)
	must.Eq(t, 0, terminated(t, alloc).ExitCode, must.Sprint(describe(alloc)))
	requireStdout(t, c, alloc.ID, "from-host\nconfig-readonly\n")

	out, err := os.ReadFile(filepath.Join(dir, "out"))
	must.NoError(t, err)
	must.Eq(t, "written-by-task\n", string(out))
	conf, err := os.ReadFile(config)
	must.NoError(t, err)
	must.Eq(t, "from-host\n", string(conf))
}
