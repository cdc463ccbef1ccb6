package registrytest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
)

// DistributionBinary is Debian's build of the CNCF Distribution registry
// (package docker-registry), which deploy/setup.sh installs.
const DistributionBinary = "/usr/bin/docker-registry"

// PreferredAddr is where a Distribution registry listens if the port is
// free, the registry's customary port; otherwise it takes any free
// loopback port, which Docker treats as insecure (plain HTTP) just the same.
const PreferredAddr = "127.0.0.1:5000"

// Distribution is a real registry process with htpasswd authentication,
// storing its images in a temporary directory.
type Distribution struct {
	// Addr is the registry's host:port, the first part of its image
	// references.
	Addr string
	// User and Password are the one account htpasswd knows.
	User, Password string

	dir  string
	cmd  *exec.Cmd
	done chan error
}

// StartDistribution starts a registry that accepts user with password, and
// waits until it answers.
func StartDistribution(ctx context.Context, user, password string) (*Distribution, error) {
	for _, bin := range []string{DistributionBinary, "htpasswd"} {
		if _, err := exec.LookPath(bin); err != nil {
			return nil, fmt.Errorf("%s not found: run deploy/setup.sh (it installs docker-registry and apache2-utils)", bin)
		}
	}
	addr, err := pickAddr()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "dockmr-registry-")
	if err != nil {
		return nil, err
	}
	d := &Distribution{Addr: addr, User: user, Password: password, dir: dir, done: make(chan error, 1)}
	if err := d.configure(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	d.cmd = exec.Command(DistributionBinary, "serve", filepath.Join(dir, "config.yml"))
	log, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	d.cmd.Stdout, d.cmd.Stderr = log, log
	if err := d.cmd.Start(); err != nil {
		log.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start %s: %w", DistributionBinary, err)
	}
	go func() { d.done <- d.cmd.Wait(); log.Close() }()
	if err := d.waitReady(ctx); err != nil {
		tail, _ := os.ReadFile(filepath.Join(dir, "registry.log"))
		d.Close()
		return nil, fmt.Errorf("registry on %s: %w; its log:\n%s", addr, err, tail)
	}
	return d, nil
}

// pickAddr returns PreferredAddr if it is free, else a free loopback port.
func pickAddr() (string, error) {
	for _, a := range []string{PreferredAddr, "127.0.0.1:0"} {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			continue
		}
		addr := ln.Addr().String()
		ln.Close()
		return addr, nil
	}
	return "", errors.New("no free loopback port for the registry")
}

func (d *Distribution) configure(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "htpasswd", "-Bbn", d.User, d.Password).Output()
	if err != nil {
		return fmt.Errorf("htpasswd: %w", err)
	}
	if err := os.WriteFile(filepath.Join(d.dir, "htpasswd"), out, 0o600); err != nil {
		return err
	}
	config := fmt.Sprintf(`version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: %s
http:
  addr: %s
auth:
  htpasswd:
    realm: dockmr-test
    path: %s
`, filepath.Join(d.dir, "data"), d.Addr, filepath.Join(d.dir, "htpasswd"))
	return os.WriteFile(filepath.Join(d.dir, "config.yml"), []byte(config), 0o600)
}

// waitReady polls /v2/ until the registry asks for credentials there.
func (d *Distribution) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+d.Addr+"/v2/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return nil
			}
			return fmt.Errorf("GET /v2/ answered %s, want 401 (htpasswd auth on)", resp.Status)
		}
		select {
		case err := <-d.done:
			return fmt.Errorf("registry exited: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("not answering: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Auth is the registry's account as the Docker API's X-Registry-Auth.
func (d *Distribution) Auth() string {
	s, _ := registry.EncodeAuthConfig(registry.AuthConfig{Username: d.User, Password: d.Password, ServerAddress: d.Addr})
	return s
}

// Push pushes the local image localRef to the registry as repo:tag through
// the Docker API, then drops the local name it pushed under, so that the
// reference it returns has to be pulled.
func (d *Distribution) Push(ctx context.Context, cli *client.Client, localRef, repo, tag string) (string, error) {
	ref := d.Addr + "/" + repo + ":" + tag
	if err := cli.ImageTag(ctx, localRef, ref); err != nil {
		return "", fmt.Errorf("tag %s as %s: %w", localRef, ref, err)
	}
	defer func() {
		// The tag pushed from is this push's; the image stays.
		_, _ = cli.ImageRemove(context.Background(), ref, image.RemoveOptions{})
	}()
	body, err := cli.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: d.Auth()})
	if err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	defer body.Close()
	if err := streamError(body); err != nil {
		return "", fmt.Errorf("push %s: %w", ref, err)
	}
	return ref, nil
}

// streamError returns the first error a Docker progress stream reports.
func streamError(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var msg jsonmessage.JSONMessage
		if err := dec.Decode(&msg); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if msg.Error != nil {
			return errors.New(msg.Error.Message)
		}
	}
}

// Close stops the registry and removes its storage.
func (d *Distribution) Close() error {
	if d.cmd != nil && d.cmd.Process != nil {
		_ = d.cmd.Process.Kill()
		exitErr := <-d.done
		_ = exitErr // killed: its exit error says only that
	}
	return os.RemoveAll(d.dir)
}
