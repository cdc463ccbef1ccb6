package jobs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestResolveS3OutputAndOpenStaging(t *testing.T) {
	root := filepath.Join(t.TempDir(), "staging")
	t.Setenv(StagingRootEnv, root)
	job := Job{Output: "s3://tera/a/b"}
	out, err := resolveOutput(&job)
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "_s3", "tera", "a", "b"); out != want || job.Output != want || job.OutputURL != "s3://tera/a/b" {
		t.Fatalf("resolveOutput = %q, job %+v; want %q", out, job, want)
	}
	p := &Plan{Job: job}
	if err := p.OpenStaging(); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"_s3", "_s3/tera", "_s3/tera/a"} {
		st, err := os.Stat(filepath.Join(root, d))
		if err != nil || st.Mode().Perm() != 0o777 || st.Mode()&os.ModeSticky == 0 {
			t.Errorf("%s: %v, %v; want a sticky directory open to all", d, st.Mode(), err)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("OpenStaging created the output directory itself")
	}
}

func TestResolveOutputRefusesBadURL(t *testing.T) {
	job := Job{Output: "s3:///x"}
	if _, err := resolveOutput(&job); err == nil {
		t.Error("no error for s3:///x")
	}
}

func TestPublishedHistoryNamesTheURL(t *testing.T) {
	p := &Plan{Job: Job{Output: "/staging/_s3/tera/out", OutputURL: "s3://tera/out"}}
	got := string(p.namingURL([]byte(`{"id":"job_1","output":"/staging/_s3/tera/out"}`)))
	if !strings.Contains(got, `"output": "s3://tera/out"`) || !strings.Contains(got, `"id": "job_1"`) {
		t.Errorf("record %s", got)
	}
	if got := string(p.namingURL([]byte("not json"))); got != "not json" {
		t.Errorf("a record that is not JSON became %q", got)
	}
}
