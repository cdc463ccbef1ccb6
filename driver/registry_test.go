package driver

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
	"github.com/hashicorp/go-hclog"
	"github.com/shoenig/test/must"
)

// ImageLoad marks the images the tarball names present, and counts loads.
func (f *fakeImages) ImageLoad(_ context.Context, r io.Reader, _ ...client.ImageLoadOption) (image.LoadResponse, error) {
	tags, err := tarballTags(r)
	if err != nil {
		return image.LoadResponse{}, err
	}
	time.Sleep(f.delay)
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, t := range tags {
		f.present[t] = true
	}
	f.loads++
	return image.LoadResponse{Body: io.NopCloser(strings.NewReader(`{"stream":"Loaded image"}`))}, nil
}

// stallingImages answers a pull with one progress line, then nothing
// until the caller gives up, as a registry that stopped sending.
type stallingImages struct{ fakeImages }

func (s *stallingImages) ImagePull(ctx context.Context, _ string, _ image.PullOptions) (io.ReadCloser, error) {
	r, w := io.Pipe()
	go func() {
		_, _ = w.Write([]byte(`{"status":"Pulling fs layer","id":"l1"}` + "\n"))
		<-ctx.Done()
		w.CloseWithError(ctx.Err())
	}()
	return r, nil
}

// authRecorder records the credentials each pull carries.
type authRecorder struct {
	fakeImages
	mu    sync.Mutex
	auths []string
}

func (a *authRecorder) ImagePull(ctx context.Context, ref string, opts image.PullOptions) (io.ReadCloser, error) {
	a.mu.Lock()
	a.auths = append(a.auths, opts.RegistryAuth)
	a.mu.Unlock()
	return a.fakeImages.ImagePull(ctx, ref, opts)
}

func TestImageCoordinator_InactivityAbortsAStalledPull(t *testing.T) {
	api := &stallingImages{fakeImages{present: map[string]bool{}}}
	c := newImageCoordinator(api, hclog.NewNullLogger())
	_, err := c.ensure(context.Background(), pullRequest{ref: "docker.io/library/stuck:1", timeout: time.Hour, inactivity: 100 * time.Millisecond})
	must.ErrorContains(t, err, `pull image "docker.io/library/stuck:1": no progress for 100ms (image_pull_inactivity_timeout)`)
	must.True(t, errors.Is(err, errPullStalled))
}

func TestImageCoordinator_PullsCarryCredentialsAndShareOnlyWithSameOnes(t *testing.T) {
	api := &authRecorder{fakeImages: fakeImages{present: map[string]bool{}, delay: 200 * time.Millisecond}}
	c := newImageCoordinator(api, hclog.NewNullLogger())
	right := &registryAuth{config: registry.AuthConfig{Username: "u", Password: "right"}}
	wrong := &registryAuth{config: registry.AuthConfig{Username: "u", Password: "wrong"}}
	var wg sync.WaitGroup
	for _, a := range []*registryAuth{right, right, wrong} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.ensure(context.Background(), pullRequest{ref: "reg:5000/app:1", timeout: time.Minute, auth: a, force: true})
			must.NoError(t, err)
		}()
	}
	wg.Wait()
	must.Eq(t, int32(2), api.pulls.Load(), must.Sprint("one pull per set of credentials"))
	for _, enc := range api.auths {
		got, err := registry.DecodeAuthConfig(enc)
		must.NoError(t, err)
		must.Eq(t, "u", got.Username)
	}
}

func TestImageCoordinator_AuthFailureIsFinalAndNamesRegistry(t *testing.T) {
	api := &fakeImages{present: map[string]bool{}, pullErr: errors.New(`Head "http://127.0.0.1:5000/v2/team/app/manifests/1": no basic auth credentials`)}
	c := newImageCoordinator(api, hclog.NewNullLogger())
	auth := &registryAuth{config: registry.AuthConfig{Username: "ci", Password: "nope"}, source: "task auth"}
	_, err := c.ensure(context.Background(), pullRequest{ref: "127.0.0.1:5000/team/app:1", timeout: time.Minute, auth: auth})
	must.ErrorContains(t, err, `authentication failed at registry 127.0.0.1:5000 with the credentials from task auth (user "ci")`)
	var rec interface{ IsRecoverable() bool }
	must.True(t, errors.As(err, &rec))
	must.False(t, rec.IsRecoverable())
}

func TestImageCoordinator_RegistryCheckRefusesBeforePulling(t *testing.T) {
	api := &fakeImages{present: map[string]bool{}}
	c := newImageCoordinator(api, hclog.NewNullLogger())
	_, err := c.ensure(context.Background(), pullRequest{ref: "reg:5000/app:1", timeout: time.Minute,
		check: func(context.Context) error { return errors.New("image: registry reg:5000 is refused") }})
	must.ErrorContains(t, err, "registry reg:5000 is refused")
	must.Eq(t, int32(0), api.pulls.Load())
}

// saveTarball writes a minimal `docker save` layout naming tags.
func saveTarball(t *testing.T, path string, tags ...string) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	manifest, _ := json.Marshal([]saveManifest{{Config: "c.json", RepoTags: tags}})
	must.NoError(t, tw.WriteHeader(&tar.Header{Name: "manifest.json", Mode: 0o644, Size: int64(len(manifest))}))
	_, err := tw.Write(manifest)
	must.NoError(t, err)
	must.NoError(t, tw.Close())
	must.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
}

func TestImageCoordinator_LoadsOnceAndRefusesWrongOrCorruptTarballs(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "app.tar")
	saveTarball(t, good, "team/app:1")
	api := &fakeImages{present: map[string]bool{}, delay: 100 * time.Millisecond}
	c := newImageCoordinator(api, hclog.NewNullLogger())

	var wg sync.WaitGroup
	var events atomic.Int32
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := c.ensure(context.Background(), pullRequest{ref: "docker.io/team/app:1", load: good, timeout: time.Minute,
				progress: func(string) { events.Add(1) }})
			must.NoError(t, err)
			must.Eq(t, "sha256:docker.io/team/app:1", id)
		}()
	}
	wg.Wait()
	must.Eq(t, 1, api.loads)
	must.Eq(t, int32(0), api.pulls.Load())
	must.Positive(t, events.Load())

	_, err := c.ensure(context.Background(), pullRequest{ref: "docker.io/team/other:2", load: good, timeout: time.Minute})
	must.ErrorContains(t, err, `load: "app.tar" does not hold image "docker.io/team/other:2"; it holds ["docker.io/team/app:1"]`)

	corrupt := filepath.Join(dir, "corrupt.tar")
	must.NoError(t, os.WriteFile(corrupt, []byte("this is not a tarball at all, just some text that goes on for a while"), 0o644))
	_, err = c.ensure(context.Background(), pullRequest{ref: "docker.io/team/app:3", load: corrupt, timeout: time.Minute})
	must.ErrorContains(t, err, `load: "corrupt.tar" is not an image tarball`)
}

func TestResolveLoadPath_StaysInTaskDir(t *testing.T) {
	taskDir := t.TempDir()
	must.NoError(t, os.MkdirAll(filepath.Join(taskDir, "local"), 0o755))
	must.NoError(t, os.WriteFile(filepath.Join(taskDir, "local", "app.tar"), nil, 0o644))
	outside := filepath.Join(t.TempDir(), "secret.tar")
	must.NoError(t, os.WriteFile(outside, nil, 0o644))
	must.NoError(t, os.Symlink(outside, filepath.Join(taskDir, "local", "link.tar")))

	p, err := resolveLoadPath("local/app.tar", taskDir, nil)
	must.NoError(t, err)
	must.StrHasSuffix(t, "/local/app.tar", p)
	_, err = resolveLoadPath("local/link.tar", taskDir, nil)
	must.ErrorContains(t, err, `load: "local/link.tar" links to`)
	_, err = resolveLoadPath("local/missing.tar", taskDir, nil)
	must.ErrorContains(t, err, `load: "local/missing.tar" is not in the task directory; deliver it with an artifact block`)
}

func TestResolveAuth_TaskThenConfigFileThenHelper(t *testing.T) {
	dir := t.TempDir()
	// A credential helper that knows one registry, as the protocol says.
	helper := filepath.Join(dir, "docker-credential-test")
	must.NoError(t, os.WriteFile(helper, []byte(`#!/bin/sh
read server
case "$server" in
helped.example:5000) echo '{"ServerURL":"helped.example:5000","Username":"hu","Secret":"hs"}' ;;
token.example) echo '{"ServerURL":"token.example","Username":"<token>","Secret":"tok"}' ;;
*) echo "credentials not found in native keychain"; exit 1 ;;
esac
`), 0o755))
	t.Setenv("PATH", dir+":"+os.Getenv("PATH"))
	t.Setenv("DOCKER_AUTH_CONFIG", "")
	cfgPath := filepath.Join(dir, "config.json")
	must.NoError(t, os.WriteFile(cfgPath, []byte(`{
  "auths": {
    "file.example:5000": {"auth": "`+base64.StdEncoding.EncodeToString([]byte("fu:fp"))+`"},
    "https://index.docker.io/v1/": {"auth": "`+base64.StdEncoding.EncodeToString([]byte("hub:hp"))+`"}
  },
  "credHelpers": {"perreg.example": "test"}
}`), 0o600))
	plugin := PluginAuth{Config: cfgPath, Helper: "test"}

	a, err := resolveAuth("file.example:5000/app:1", TaskAuth{Username: "tu", Password: "tp"}, plugin)
	must.NoError(t, err)
	must.Eq(t, "task auth", a.source)
	must.Eq(t, "tu", a.config.Username)

	a, err = resolveAuth("file.example:5000/app:1", TaskAuth{}, plugin)
	must.NoError(t, err)
	must.Eq(t, "fu", a.config.Username)
	must.Eq(t, "fp", a.config.Password)
	must.StrContains(t, a.source, "auth.config")

	a, err = resolveAuth("busybox", TaskAuth{}, plugin)
	must.NoError(t, err)
	must.Eq(t, "hub", a.config.Username)

	a, err = resolveAuth("helped.example:5000/app:1", TaskAuth{}, plugin)
	must.NoError(t, err)
	must.Eq(t, "auth.helper test", a.source)
	must.Eq(t, "hu", a.config.Username)
	must.Eq(t, "hs", a.config.Password)

	a, err = resolveAuth("token.example/app:1", TaskAuth{}, PluginAuth{Helper: "test"})
	must.NoError(t, err)
	must.Eq(t, "tok", a.config.IdentityToken)

	a, err = resolveAuth("nobody.example/app:1", TaskAuth{}, plugin)
	must.NoError(t, err)
	must.Nil(t, a, must.Sprint("unknown registry: anonymous pull"))

	_, err = resolveAuth("x.example/app:1", TaskAuth{}, PluginAuth{Config: filepath.Join(dir, "missing.json")})
	must.ErrorContains(t, err, "auth.config: cannot read Docker config file")
	must.NoError(t, os.WriteFile(filepath.Join(dir, "bad.json"), []byte("{not json"), 0o600))
	_, err = resolveAuth("x.example/app:1", TaskAuth{}, PluginAuth{Config: filepath.Join(dir, "bad.json")})
	must.ErrorContains(t, err, "is not a valid Docker config.json")
	_, err = resolveAuth("x.example/app:1", TaskAuth{}, PluginAuth{Helper: "absent-helper"})
	must.ErrorContains(t, err, "auth.helper: docker-credential-absent-helper get x.example")
	_, err = resolveAuth("x.example/app:1", TaskAuth{}, PluginAuth{Helper: "../bin/sh"})
	must.ErrorContains(t, err, `auth.helper: "../bin/sh" is not a credential helper name`)
}

func TestInsecurePolicy_FollowsTheDaemonAndTheOperatorsList(t *testing.T) {
	_, loop, _ := net.ParseCIDR("127.0.0.0/8")
	_, lan, _ := net.ParseCIDR("10.0.0.0/8")
	cfg := &registry.ServiceConfig{
		InsecureRegistryCIDRs: []*registry.NetIPNet{(*registry.NetIPNet)(loop), (*registry.NetIPNet)(lan)},
		IndexConfigs: map[string]*registry.IndexInfo{
			"docker.io":       {Name: "docker.io", Secure: true},
			"plain.lan:5000":  {Name: "plain.lan:5000", Secure: false},
			"secure.lan:5000": {Name: "secure.lan:5000", Secure: true},
			"10.1.2.3:5000":   {Name: "10.1.2.3:5000", Secure: true},
		},
	}
	lookup := func(host string) ([]net.IP, error) {
		if host == "localhost" {
			return []net.IP{net.ParseIP("127.0.0.1")}, nil
		}
		if host == "lan-host" {
			return []net.IP{net.ParseIP("10.9.9.9")}, nil
		}
		return nil, errors.New("no such host")
	}
	def := insecurePolicy{allowed: defaultInsecureRegistries, lookup: lookup}
	for host, want := range map[string]string{
		"127.0.0.1:5000":  "",
		"localhost:5000":  "",
		"docker.io":       "",
		"secure.lan:5000": "",
		"10.1.2.3:5000":   "", // the index config says secure, whatever the CIDR
		"unknown.example": "",
		"plain.lan:5000":  `registry plain.lan:5000 is reached over plain HTTP by the Docker daemon`,
		"lan-host:5000":   `add "lan-host:5000" there`,
		"10.7.7.7":        `registry 10.7.7.7 is reached over plain HTTP`,
	} {
		err := def.check(cfg, host)
		if want == "" {
			must.NoError(t, err, must.Sprint(host))
		} else {
			must.ErrorContains(t, err, want, must.Sprint(host))
		}
	}
	listed := insecurePolicy{allowed: []string{"plain.lan:5000", "lan-host", "10.7.0.0/16"}, lookup: lookup}
	for _, host := range []string{"plain.lan:5000", "lan-host:5000", "10.7.7.7"} {
		must.NoError(t, listed.check(cfg, host), must.Sprint(host))
	}
	must.ErrorContains(t, listed.check(cfg, "127.0.0.1:5000"), "not in the plugin's insecure_registries")
}
