// Package s3test starts a real S3-compatible server for tests: versitygw,
// installed by deploy/s3-server.sh, serving a temporary directory on
// 127.0.0.1 at a free port, with buckets made on demand and the AWS
// variables that point dockmr and the SDK at it.
package s3test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// The server's root credentials.
const (
	AccessKey = "dockmrtest"
	SecretKey = "dockmrtestsecret"
)

// Server is a running versitygw.
type Server struct {
	// Endpoint is its URL, http://127.0.0.1:PORT.
	Endpoint string
	// Dir is the directory it serves: a bucket is a directory in it and an
	// object a file.
	Dir  string
	cmd  *exec.Cmd
	bin  string
	host string
	port int
	wrap []string
}

// Options place the server elsewhere than 127.0.0.1.
type Options struct {
	// Host is the address to listen on; the test must have made it (a
	// network namespace of its own) or it is 127.0.0.1.
	Host string
	// Port is the port; 0 picks a free one on 127.0.0.1.
	Port int
	// Wrap is an argv prefix that runs the server, such as
	// {"nsenter", "--net=/run/netns/HOST", "--"}.
	Wrap []string
}

// Binary returns versitygw's path, installing it with deploy/s3-server.sh
// if needed (minutes, once per machine).
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("DOCKMR_VERSITYGW"); p != "" {
		return p
	}
	script := filepath.Join(repoRoot(), "deploy", "s3-server.sh")
	out, err := exec.Command(script).Output()
	if err != nil {
		t.Fatalf("install versitygw with %s: %v; run it by hand to see why", script, err)
	}
	return strings.TrimSpace(string(out))
}

// Start starts versitygw on 127.0.0.1 on a free port, serving a new
// temporary directory, and stops it when the test ends.
func Start(t testing.TB) *Server { return StartWith(t, Options{}) }

// StartWith starts versitygw as Options say, serving a new temporary
// directory, and stops it when the test ends.
func StartWith(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{Dir: t.TempDir(), bin: Binary(t), host: o.Host, port: o.Port, wrap: o.Wrap}
	if s.host == "" {
		s.host = "127.0.0.1"
	}
	if s.port == 0 {
		s.port = freePort(t)
	}
	s.Endpoint = fmt.Sprintf("http://%s", net.JoinHostPort(s.host, fmt.Sprint(s.port)))
	s.start(t)
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start(t testing.TB) {
	t.Helper()
	addr := net.JoinHostPort(s.host, fmt.Sprint(s.port))
	argv := append(append([]string{}, s.wrap...), s.bin, "--port", addr, "posix", s.Dir)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+AccessKey, "ROOT_SECRET_KEY="+SecretKey)
	log, err := os.Create(filepath.Join(t.TempDir(), "versitygw.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("start versitygw: %v", err)
	}
	s.cmd = cmd
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(log.Name())
	t.Fatalf("versitygw did not listen on %s within 30s; its log:\n%s", addr, b)
}

// Stop stops the server.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// Restart stops the server and starts it again on the same port and
// directory.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	s.start(t)
}

// Bucket creates a bucket: with the posix backend, a top-level directory.
func (s *Server) Bucket(t testing.TB, name string) {
	t.Helper()
	if err := os.Mkdir(filepath.Join(s.Dir, name), 0o755); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
}

// Env returns the variables that point the AWS SDK at the server.
func (s *Server) Env() []string {
	return []string{
		"AWS_ENDPOINT_URL_S3=" + s.Endpoint,
		"AWS_ACCESS_KEY_ID=" + AccessKey,
		"AWS_SECRET_ACCESS_KEY=" + SecretKey,
		"AWS_REGION=us-east-1",
		"DOCKMR_S3_PATH_STYLE=true",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	}
}

// Setenv sets Env in the test's process for the test's duration.
func (s *Server) Setenv(t *testing.T) {
	for _, kv := range s.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// repoRoot is the module's root, two directories above this file.
func repoRoot() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "."
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}
