// Package deploy holds the checks of dockmr's cluster deployment files: the
// Nomad agent configurations in deploy/nomad and their renderer, the
// provisioning script, the Vagrantfile at the repository root, and every
// shell script of the repository. It has no API; `go test ./deploy/` runs
// the real tools on the real files (vagrant, shellcheck, the Nomad agent
// built from this module) and fails, naming deploy/setup.sh, when a tool
// is missing.
package deploy
