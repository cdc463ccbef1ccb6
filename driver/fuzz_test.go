package driver

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/hashicorp/hcl"
	"github.com/hashicorp/hcl/hcl/ast"
	"github.com/hashicorp/nomad/helper/pluginutils/hclspecutils"
	"github.com/hashicorp/nomad/helper/pluginutils/hclutils"
	"github.com/hashicorp/nomad/nomad/structs"
	"github.com/hashicorp/nomad/plugins/base"
	"github.com/hashicorp/nomad/plugins/drivers"
	"github.com/shoenig/test/must"
)

// Input encodings of FuzzTaskConfig.
const (
	fuzzHCL     = 0 // a job file's `config { ... }` block
	fuzzJSON    = 1 // the task's config as the API carries it: {"Config": {...}}
	fuzzMsgpack = 2 // the driver config bytes the plugin receives
)

// FuzzTaskConfig feeds arbitrary task configs through the path a task takes
// into the plugin: the schema (hclspec to cty, as the Nomad client
// validates), msgpack to the TaskConfig struct (as StartTask decodes), then
// validation and the security policy. Bad input must end in an error,
// never a panic.
func FuzzTaskConfig(f *testing.F) {
	files, err := filepath.Glob("testdata/taskconfig/*")
	must.NoError(f, err)
	must.SliceNotEmpty(f, files)
	for _, file := range files {
		b, err := os.ReadFile(file)
		must.NoError(f, err)
		kind := uint8(fuzzHCL)
		if strings.HasSuffix(file, ".json") {
			kind = fuzzJSON
		}
		f.Add(kind, b)
	}
	var raw []byte
	must.NoError(f, base.MsgPackEncode(&raw, &TaskConfig{
		Image: "busybox", CapAdd: []string{"chown"}, Mounts: []Mount{{Source: "/tmp", Target: "/t"}}, PidsLimit: 5,
	}))
	f.Add(uint8(fuzzMsgpack), raw)

	dec, diags := hclspecutils.Convert(taskConfigSpec)
	must.False(f, diags.HasErrors())
	pc := &PluginConfig{
		AllowedMounts: []string{os.TempDir()},
		AllowCaps:     []string{"chown"},
		AllowedImages: []string{"busybox", "dockmr/*", "registry.local:5000/*"},
		PidsLimit:     defaultPidsLimit,
	}
	must.NoError(f, pc.validate())

	f.Fuzz(func(t *testing.T, kind uint8, data []byte) {
		var tc TaskConfig
		switch kind % 3 {
		case fuzzHCL, fuzzJSON:
			var val any
			var ok bool
			if kind%3 == fuzzHCL {
				val, ok = hclConfig(data)
			} else {
				val, ok = jsonConfig(data)
			}
			if !ok {
				return
			}
			cv, _, errs := hclutils.ParseHclInterface(val, dec, nil)
			if len(errs) > 0 {
				return
			}
			cfg := &drivers.TaskConfig{}
			if err := cfg.EncodeDriverConfig(cv); err != nil {
				return
			}
			if err := cfg.DecodeDriverConfig(&tc); err != nil {
				return
			}
		case fuzzMsgpack:
			if err := base.MsgPackDecode(data, &tc); err != nil {
				return
			}
		}
		task := &drivers.TaskConfig{ID: "t", Name: "map", AllocID: "a", AllocDir: filepath.Join(os.TempDir(), "alloc", "a")}
		if err := tc.validate(pc); err != nil {
			requireNamesField(t, err)
			return
		}
		sec, err := applyPolicy(pc, task, &tc)
		if err != nil {
			requireNamesField(t, err)
			return
		}
		spec := buildCreateSpec(task, &tc, "")
		spec.secure(sec, pc.AllowRoot)
		if spec.Config.User == "" || isRootUser(spec.Config.User) {
			t.Fatalf("container would run as %q", spec.Config.User)
		}
		if spec.Host.Privileged || len(spec.Host.CapDrop) != 1 {
			t.Fatalf("container would keep privileges: privileged=%v cap_drop=%v", spec.Host.Privileged, spec.Host.CapDrop)
		}
	})
}

// requireNamesField checks that a refusal starts with the field at fault.
func requireNamesField(t *testing.T, err error) {
	t.Helper()
	field, _, ok := strings.Cut(err.Error(), ": ")
	if !ok || strings.ContainsAny(field, " \n") {
		t.Fatalf("error does not start with the field at fault: %v", err)
	}
}

// hclConfig parses a job file's `config { ... }` block as the HCL1 job
// parser does and returns its contents. The HCL1 parser itself panics on
// some input (its JSON scanner's UnreadRune, seed 719e6324140c18da): that
// input never reaches the plugin, which gets configs the agent has already
// parsed, so it counts as unparseable here.
func hclConfig(data []byte) (val any, ok bool) {
	defer func() {
		if recover() != nil {
			val, ok = nil, false
		}
	}()
	root, err := hcl.ParseBytes(data)
	if err != nil {
		return nil, false
	}
	list, ok := root.Node.(*ast.ObjectList)
	if !ok || len(list.Items) == 0 {
		return nil, false
	}
	var m map[string]any
	if err := hcl.DecodeObject(&m, list.Items[0]); err != nil {
		return nil, false
	}
	return m["config"], true
}

// jsonConfig decodes a job's task config as the HTTP API does.
func jsonConfig(data []byte) (any, bool) {
	var m map[string]any
	if err := codec.NewDecoder(bytes.NewReader(data), structs.JsonHandle).Decode(&m); err != nil {
		return nil, false
	}
	return m["Config"], true
}
