package testimage

import (
	"context"
	"strings"
	"testing"

	"github.com/shoenig/test/must"
)

func TestBuildRejectsBadInput(t *testing.T) {
	err := Build(context.Background(), "")
	must.ErrorContains(t, err, "image reference is empty")

	err = Build(context.Background(), "dockmr/never-built:bad", File{Path: "relative/file"})
	must.ErrorContains(t, err, `path "relative/file" must be an absolute file path`)
	must.True(t, strings.Contains(err.Error(), "dockmr/never-built:bad"))
}
