package nomad

import (
	"fmt"

	"github.com/hashicorp/nomad/api"
)

// Connect returns a client of the Nomad agent that Nomad's own environment
// names (NOMAD_ADDR, NOMAD_TOKEN, NOMAD_NAMESPACE, NOMAD_REGION and the
// NOMAD_CACERT, NOMAD_CLIENT_CERT, NOMAD_CLIENT_KEY, NOMAD_SKIP_VERIFY TLS
// settings), once the agent has answered.
func Connect() (*api.Client, error) {
	cfg := api.DefaultConfig()
	client, err := api.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("Nomad client for %s: %w", cfg.Address, err)
	}
	if err := ping(client, cfg.Address); err != nil {
		return nil, err
	}
	return client, nil
}

// ping checks that the agent answers, so that a missing agent is one clear
// line rather than the first failure of some later call.
func ping(client *api.Client, addr string) error {
	if _, err := client.Status().Leader(); err != nil {
		return fmt.Errorf("no Nomad agent answers at %s (%v): start one with 'dockmr dev', or set NOMAD_ADDR", addr, err)
	}
	return nil
}
