package nomadtest

import (
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

func TestVarFileQuotesValues(t *testing.T) {
	got := varFile(map[string]string{"image": "dockmr/testimage:dev", "cmd": "echo \"${HOME}\"\nexit 3"})
	must.Eq(t, strings.Join([]string{
		`cmd = "echo \"$${HOME}\"\nexit 3"`,
		`image = "dockmr/testimage:dev"`,
		"",
	}, "\n"), got)
}

func TestSanitizeID(t *testing.T) {
	must.Eq(t, "testexec-interactive-1", sanitizeID("TestExec/interactive_1"))
}
