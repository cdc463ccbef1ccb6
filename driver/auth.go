package driver

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/distribution/reference"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/docker-credential-helpers/client"
	"github.com/docker/docker-credential-helpers/credentials"
	"github.com/docker/docker/api/types/registry"
)

// dockerHubAuthKey is the key Docker's config.json and credential helpers
// file Docker Hub's credentials under.
const dockerHubAuthKey = "https://index.docker.io/v1/"

// credentialHelperPrefix is what Docker puts before a credential helper's
// name to find its program on the PATH.
const credentialHelperPrefix = "docker-credential-"

// TaskAuth is a task's `auth { ... }` block: credentials for the registry of
// the task's image, which win over the plugin's.
type TaskAuth struct {
	Username string `codec:"username"`
	Password string `codec:"password"`
	// Email is accepted, as Nomad's docker driver accepts it, and not
	// passed on: Docker ignores it since API v1.23.
	Email         string `codec:"email"`
	ServerAddress string `codec:"server_address"`
}

func (a TaskAuth) empty() bool {
	return a.Username == "" && a.Password == "" && a.ServerAddress == ""
}

// PluginAuth is the plugin's `auth { ... }` block: where the node keeps
// registry credentials, the way Docker's own client keeps them.
type PluginAuth struct {
	// Config is the path of a Docker config.json; its "auths",
	// "credHelpers" and "credsStore" are used as `docker pull` would.
	Config string `codec:"config"`
	// Helper names a credential helper, the program
	// docker-credential-<helper> on the plugin's PATH, asked for any
	// registry the config file has nothing for.
	Helper string `codec:"helper"`
}

// registryAuth is the credentials found for one image and where they came
// from, for error messages that must say which credentials failed.
type registryAuth struct {
	config registry.AuthConfig
	source string // "task auth", "auth.config /path", "auth.helper name"
}

// encoded is the X-Registry-Auth header value the Docker API wants; "" for
// an anonymous pull.
func (a *registryAuth) encoded() (string, error) {
	if a == nil {
		return "", nil
	}
	return registry.EncodeAuthConfig(a.config)
}

// registryHost is the registry part of a normalised image reference, as
// Docker names it ("docker.io", "127.0.0.1:5000").
func registryHost(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ""
	}
	return reference.Domain(named)
}

// authKey is the key of a registry in config.json and for credential
// helpers: Docker Hub has a URL of its own, others their host[:port].
func authKey(host string) string {
	if host == "docker.io" || host == "index.docker.io" {
		return dockerHubAuthKey
	}
	return host
}

// resolveAuth finds the credentials for ref: the task's auth block first,
// then the plugin's config file, then its helper. No credentials at all
// is not an error: the pull is then anonymous.
func resolveAuth(ref string, task TaskAuth, plugin PluginAuth) (*registryAuth, error) {
	host := registryHost(ref)
	if !task.empty() {
		return &registryAuth{source: "task auth", config: registry.AuthConfig{
			Username:      task.Username,
			Password:      task.Password,
			ServerAddress: task.ServerAddress,
		}}, nil
	}
	if plugin.Config != "" {
		auth, err := authFromConfigFile(plugin.Config, authKey(host))
		if auth != nil || err != nil {
			return auth, err
		}
	}
	if plugin.Helper != "" {
		return authFromHelper(plugin.Helper, authKey(host))
	}
	return nil, nil
}

// authFromConfigFile reads a Docker config.json's credentials for the
// registry, asking the credential helper it names if it names one.
func authFromConfigFile(path, key string) (*registryAuth, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("auth.config: cannot read Docker config file: %w", err)
	}
	defer f.Close()
	cfg := configfile.New(path)
	if err := cfg.LoadFromReader(f); err != nil {
		return nil, fmt.Errorf("auth.config: %q is not a valid Docker config.json: %w", path, err)
	}
	ac, err := cfg.GetAuthConfig(key)
	if err != nil {
		return nil, fmt.Errorf("auth.config: credentials for %s from %q: %w", key, path, err)
	}
	auth := registry.AuthConfig{
		Username:      ac.Username,
		Password:      ac.Password,
		ServerAddress: ac.ServerAddress,
		IdentityToken: ac.IdentityToken,
		RegistryToken: ac.RegistryToken,
	}
	if auth.Username == "" && auth.Password == "" && auth.IdentityToken == "" && auth.RegistryToken == "" {
		return nil, nil
	}
	if auth.ServerAddress == "" {
		auth.ServerAddress = key
	}
	return &registryAuth{config: auth, source: fmt.Sprintf("auth.config %s", path)}, nil
}

// authFromHelper asks docker-credential-<helper> for the registry's
// credentials with the credential helper protocol (`get`, the server on
// stdin, JSON on stdout). A helper that knows nothing of the registry
// means an anonymous pull.
func authFromHelper(helper, key string) (*registryAuth, error) {
	if strings.ContainsAny(helper, "/ \t\n") {
		return nil, fmt.Errorf("auth.helper: %q is not a credential helper name; give the part after %q, such as \"ecr-login\"", helper, credentialHelperPrefix)
	}
	creds, err := client.Get(client.NewShellProgramFunc(credentialHelperPrefix+helper), key)
	if credentials.IsErrCredentialsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("auth.helper: %s%s get %s: %w", credentialHelperPrefix, helper, key, err)
	}
	auth := registry.AuthConfig{ServerAddress: key}
	// Helpers return an identity token as the secret of the user "<token>".
	if creds.Username == "<token>" {
		auth.IdentityToken = creds.Secret
	} else {
		auth.Username, auth.Password = creds.Username, creds.Secret
	}
	if creds.ServerURL != "" {
		auth.ServerAddress = creds.ServerURL
	}
	return &registryAuth{config: auth, source: "auth.helper " + helper}, nil
}

// isAuthFailure recognises the daemon's ways of saying the registry
// refused the credentials (or wanted some), which no retry will change.
func isAuthFailure(err error) bool {
	if err == nil {
		return false
	}
	var unauthorized interface{ Unauthorized() }
	if errors.As(err, &unauthorized) {
		return true
	}
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"unauthorized", "authentication required", "no basic auth credentials", "incorrect username or password", "denied: requested access"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// authFailure is the error for a pull the registry refused for want of
// valid credentials: it names the registry and the credentials used.
func authFailure(ref string, auth *registryAuth, err error) error {
	used := "no credentials (anonymous pull); set the task's auth block or the plugin's auth.config or auth.helper"
	if auth != nil {
		used = "the credentials from " + auth.source
		if auth.config.Username != "" {
			used += fmt.Sprintf(" (user %q)", auth.config.Username)
		}
	}
	return fmt.Errorf("pull image %q: authentication failed at registry %s with %s: %w", ref, registryHost(ref), used, err)
}
