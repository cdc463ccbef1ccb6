package nomad

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/hashicorp/nomad/api"
)

// IsPermissionDenied reports whether err is Nomad refusing a request for
// want of a token with the right to make it, as a cluster with ACLs on
// answers a client without NOMAD_TOKEN.
func IsPermissionDenied(err error) bool {
	if err == nil {
		return false
	}
	var resp api.UnexpectedResponseError
	if errors.As(err, &resp) && resp.StatusCode() == http.StatusForbidden {
		return true
	}
	var respPtr *api.UnexpectedResponseError
	if errors.As(err, &respPtr) && respPtr.StatusCode() == http.StatusForbidden {
		return true
	}
	// Some callers flatten the error to text on the way up.
	msg := err.Error()
	return strings.Contains(msg, "403 (Permission denied)") || strings.Contains(msg, "ACL token not found")
}

// PermissionDenied explains a refused request: what to set, and the
// refusal itself.
func PermissionDenied(err error) error {
	return fmt.Errorf("Nomad refused the request: permission denied; set NOMAD_TOKEN to a token allowed to submit and read jobs (with 'dockmr dev --acl', the management token it printed): %w", err)
}
