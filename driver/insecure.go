package driver

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/api/types/system"
)

// defaultInsecureRegistries are the plain-HTTP registries allowed unless
// the plugin's insecure_registries says otherwise: loopback ones, which
// Docker itself reaches over HTTP by default and whose traffic never
// leaves the node.
var defaultInsecureRegistries = []string{"127.0.0.0/8", "::1/128"}

// insecurePolicy refuses pulls from registries the Docker daemon would
// reach over plain HTTP (its insecure-registries), unless the operator
// lists them in the plugin's insecure_registries too: the daemon's setting
// is node-wide and may predate dockmr, and credentials would cross the
// network in clear.
type insecurePolicy struct {
	allowed []string // host, host:port or CIDR
	lookup  func(host string) ([]net.IP, error)
}

// check returns an error when the daemon, configured as cfg says, would
// reach host insecurely and the policy does not allow it.
func (p insecurePolicy) check(cfg *registry.ServiceConfig, host string) error {
	if !reachedInsecurely(cfg, host, p.lookup) {
		return nil
	}
	if p.allows(host) {
		return nil
	}
	return fmt.Errorf("image: registry %s is reached over plain HTTP by the Docker daemon (its insecure-registries), and is not in the plugin's insecure_registries %q; add %q there to allow pulls from it", host, p.allowed, host)
}

// allows reports whether host[:port] matches an entry: the same
// host:port, the same host when the entry has no port, or an address in a
// CIDR entry.
func (p insecurePolicy) allows(host string) bool {
	name := hostOnly(host)
	ips := p.resolve(name)
	for _, entry := range p.allowed {
		if _, cidr, err := net.ParseCIDR(entry); err == nil {
			for _, ip := range ips {
				if cidr.Contains(ip) {
					return true
				}
			}
			continue
		}
		if entry == host || entry == name {
			return true
		}
	}
	return false
}

func (p insecurePolicy) resolve(name string) []net.IP {
	if ip := net.ParseIP(name); ip != nil {
		return []net.IP{ip}
	}
	if p.lookup == nil {
		return nil
	}
	ips, _ := p.lookup(name)
	return ips
}

// reachedInsecurely answers as the Docker daemon decides whether to use
// plain HTTP: the registry's own index configuration if it has one, else
// whether one of its addresses lies in the insecure CIDRs.
func reachedInsecurely(cfg *registry.ServiceConfig, host string, lookup func(string) ([]net.IP, error)) bool {
	if cfg == nil || host == "" || host == "docker.io" {
		return false
	}
	if idx, ok := cfg.IndexConfigs[host]; ok && idx != nil {
		return !idx.Secure
	}
	p := insecurePolicy{lookup: lookup}
	for _, ip := range p.resolve(hostOnly(host)) {
		for _, cidr := range cfg.InsecureRegistryCIDRs {
			if cidr != nil && (*net.IPNet)(cidr).Contains(ip) {
				return true
			}
		}
	}
	return false
}

// hostOnly strips the port from host[:port], IPv6 brackets included.
func hostOnly(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		return h
	}
	return strings.Trim(host, "[]")
}

// validateInsecureRegistries checks the plugin's insecure_registries.
func validateInsecureRegistries(entries []string) error {
	for i, e := range entries {
		if strings.Contains(e, "/") && !strings.Contains(e, "://") {
			if _, _, err := net.ParseCIDR(e); err != nil {
				return fmt.Errorf("insecure_registries[%d]: %q is not a CIDR; give a host, host:port or CIDR such as \"10.0.0.0/8\"", i, e)
			}
			continue
		}
		if e == "" || strings.ContainsAny(e, " \t\n@") || strings.Contains(e, "://") {
			return fmt.Errorf("insecure_registries[%d]: %q is not a registry; give a host, host:port or CIDR such as \"registry.lan:5000\"", i, e)
		}
	}
	return nil
}

// isHTTPSMismatch recognises the daemon trying HTTPS on a plain-HTTP
// registry, which only the daemon's configuration can change.
func isHTTPSMismatch(err error) bool {
	return strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

// infoAPI is the part of the Docker client that tells the daemon's
// registry settings.
type infoAPI interface {
	Info(ctx context.Context) (system.Info, error)
}

// registryCheck returns the check a pull of ref makes first: ask the
// daemon how it reaches the registry and apply the policy.
func registryCheck(docker infoAPI, policy insecurePolicy, ref string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		info, err := docker.Info(ctx)
		if err != nil {
			return fmt.Errorf("ask the Docker daemon for its registry settings: %w", err)
		}
		return policy.check(info.RegistryConfig, registryHost(ref))
	}
}

// lookupIP resolves a registry's host name as the daemon would.
func lookupIP(host string) ([]net.IP, error) { return net.LookupIP(host) }
