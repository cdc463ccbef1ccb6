package s3

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// dockmr runs the dockmr command with env added to the test's, in a new
// directory, and checks that it made no local "s3:" directory there.
func dockmr(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(dockmrBin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if _, serr := os.Stat(filepath.Join(cmd.Dir, "s3:")); serr == nil {
		t.Errorf("dockmr %s made a local directory s3:", strings.Join(args, " "))
	}
	return string(out), err
}

// TestCLIHistoryBesideOutput runs teragen to S3 with the command and finds
// the job's history beside the output, and no local s3: directory.
func TestCLIHistoryBesideOutput(t *testing.T) {
	_, s := startS3(t)
	out, err := dockmr(t, nil, "teragen", "--local", "10k", "s3://tera/in")
	if err != nil {
		t.Fatalf("teragen: %v\n%s", err, out)
	}
	hist, err := s.List(context.Background(), "in/_history/")
	if err != nil || len(hist) != 1 || !strings.HasSuffix(hist[0].Key, ".json") {
		t.Errorf("history beside the output: %v, %v; want one record", hist, err)
	}
	if _, err := s.Stat(context.Background(), "in/_SUCCESS"); err != nil {
		t.Errorf("_SUCCESS: %v", err)
	}
	out, err = dockmr(t, nil, "history", "s3://tera/in")
	if err != nil || !strings.Contains(out, "output s3://tera/in") || !strings.Contains(out, "teragen") {
		t.Errorf("dockmr history s3://tera/in: %v\n%s", err, out)
	}
	out, err = dockmr(t, nil, "logs", "s3://tera/in")
	if err != nil || !strings.Contains(out, "no stderr kept") {
		t.Errorf("dockmr logs s3://tera/in: %v\n%s", err, out)
	}
}

// TestBadInput: each mistake ends with one message naming the URL and
// what to fix, before any task runs, and writes nothing.
func TestBadInput(t *testing.T) {
	_, s := startS3(t)
	if out, err := dockmr(t, nil, "teragen", "--local", "1k", "s3://tera/done"); err != nil {
		t.Fatalf("teragen: %v\n%s", err, out)
	}
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"malformed URL", nil, []string{"teragen", "--local", "1k", "s3://Tera/in"},
			[]string{`output "s3://Tera/in"`, "lower-case letters", "want s3://bucket/prefix"}},
		{"unknown scheme", nil, []string{"teragen", "--local", "1k", "gs://tera/in"},
			[]string{`output "gs://tera/in"`, `unknown scheme "gs"`}},
		{"missing bucket", nil, []string{"teragen", "--local", "1k", "s3://nobucket/in"},
			[]string{"s3://nobucket", `bucket "nobucket" does not exist`, "create it"}},
		{"missing input", nil, []string{"terasort", "--local", "s3://tera/nothing", "s3://tera/out"},
			[]string{"input s3://tera/nothing holds no objects", "check the URL"}},
		{"output committed", nil, []string{"teragen", "--local", "1k", "s3://tera/done"},
			[]string{"s3://tera/done holds s3://tera/done/_SUCCESS", "--overwrite"}},
		{"wrong secret", []string{"AWS_SECRET_ACCESS_KEY=wrong"}, []string{"teragen", "--local", "1k", "s3://tera/x"},
			[]string{"s3://tera", "refused the credentials", "AWS_SECRET_ACCESS_KEY"}},
		{"no credentials", []string{"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="}, []string{"teragen", "--local", "1k", "s3://tera/x"},
			[]string{"s3://tera", "no AWS credentials found", "AWS_ACCESS_KEY_ID"}},
		{"unreachable endpoint", []string{"AWS_ENDPOINT_URL_S3=" + closedEndpoint(t)}, []string{"teragen", "--local", "1k", "s3://tera/x"},
			[]string{"s3://tera", "the S3 endpoint is unreachable", "AWS_ENDPOINT_URL_S3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := dockmr(t, tc.env, tc.args...)
			if err == nil {
				t.Fatalf("dockmr %s succeeded:\n%s", strings.Join(tc.args, " "), out)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output does not say %q:\n%s", w, out)
				}
			}
		})
	}
	objs, _ := s.List(context.Background(), "")
	for _, o := range objs {
		if !strings.HasPrefix(o.Key, "done/") {
			t.Errorf("a refused job wrote %s", o.Key)
		}
	}
	noPending(t, s, "")
}

// closedEndpoint returns the URL of a port on 127.0.0.1 where nothing
// listens.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}
