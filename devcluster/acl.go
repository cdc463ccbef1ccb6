package devcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/nomad/api"
)

// TokenFile is the file in the state directory that holds the management
// token of a cluster with ACLs on, readable by its owner only.
const TokenFile = "management.token"

// bootstrapACL makes the management token once the server leads, and has
// every API client of the cluster use it.
func (c *Cluster) bootstrapACL(ctx context.Context) error {
	var token *api.ACLToken
	err := Poll(ctx, "the Nomad server to bootstrap its ACLs", func() (bool, string, error) {
		if !c.server.running() {
			return false, "", c.server.exitError()
		}
		if leader, err := c.API.Status().Leader(); err != nil || leader == "" {
			return false, fmt.Sprintf("leader %q, %v", leader, err), nil
		}
		t, _, err := c.API.ACLTokens().Bootstrap(nil)
		if err != nil {
			if strings.Contains(err.Error(), "bootstrap already done") {
				return false, "", fmt.Errorf("ACLs of %s were bootstrapped already: use a new state directory", c.stateDir)
			}
			return false, err.Error(), nil
		}
		token = t
		return true, "", nil
	})
	if err != nil {
		return err
	}
	c.token = token.SecretID
	c.API.SetSecretID(c.token)
	for _, a := range c.clients {
		a.api.SetSecretID(c.token)
	}
	c.server.api.SetSecretID(c.token)
	path := filepath.Join(c.stateDir, TokenFile)
	if err := os.WriteFile(path, []byte(c.token+"\n"), 0o600); err != nil {
		return fmt.Errorf("write the management token: %w", err)
	}
	return nil
}

// Token is the management token of a cluster with ACLs on, for
// NOMAD_TOKEN; "" when ACLs are off.
func (c *Cluster) Token() string { return c.token }

// TokenPath is the file holding Token, or "" when ACLs are off.
func (c *Cluster) TokenPath() string {
	if c.token == "" {
		return ""
	}
	return filepath.Join(c.stateDir, TokenFile)
}
