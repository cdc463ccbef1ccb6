package testbin

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/shoenig/test/must"
)

func TestBuildTakesTheBinaryFromDockmrBin(t *testing.T) {
	bin := t.TempDir()
	want := filepath.Join(bin, "dockmr-task")
	must.NoError(t, os.WriteFile(want, []byte("#!/bin/sh\n"), 0o755))
	t.Setenv("DOCKMR_BIN", bin)
	got, err := Build(t.TempDir(), "github.com/dockmr/dockmr/no/such/package", "dockmr-task")
	must.NoError(t, err)
	must.Eq(t, want, got)
}

func TestBuildSaysWhatFailed(t *testing.T) {
	t.Setenv("DOCKMR_BIN", "")
	_, err := Build(t.TempDir(), "github.com/dockmr/dockmr/no/such/package", "nothing")
	must.ErrorContains(t, err, "build github.com/dockmr/dockmr/no/such/package")
}
