package deploy

import (
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

// shellScripts lists the repository's shell scripts, relative to its root:
// every *.sh under deploy/, bench/ and examples/, and the CI entry point.
func shellScripts(t *testing.T, root string) []string {
	t.Helper()
	scripts := []string{".ci/run"}
	for _, dir := range []string{"deploy", "bench", "examples"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(path, ".sh") {
				rel, err := filepath.Rel(root, path)
				if err != nil {
					return err
				}
				scripts = append(scripts, rel)
			}
			return nil
		})
		must.NoError(t, err)
	}
	return scripts
}

func TestShellScriptsPassShellcheck(t *testing.T) {
	shellcheck := requireTool(t, "shellcheck", "shellcheck")
	root := repoRoot(t)
	scripts := shellScripts(t, root)
	must.SliceContainsSubset(t, scripts, []string{".ci/run", "deploy/provision.sh", "deploy/render-config.sh"},
		must.Sprintf("the scripts found: %v", scripts))
	for _, script := range scripts {
		t.Run(script, func(t *testing.T) {
			// -x follows the files a script sources.
			out := run(t, cleanEnv(), shellcheck, "-x", filepath.Join(root, script))
			must.Eq(t, 0, out.code, out.show())
		})
	}
}
