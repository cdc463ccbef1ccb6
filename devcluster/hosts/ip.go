package hosts

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// ip runs the ip command (iproute2) and returns its standard output; an
// error quotes the command and what it printed on standard error.
func ip(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "ip", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// ipAll runs ip commands in turn and stops at the first that fails.
func ipAll(ctx context.Context, cmds ...[]string) error {
	for _, args := range cmds {
		if _, err := ip(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// routes returns every IPv4 route of this machine's namespace, of every
// routing table.
func routes(ctx context.Context) ([]Route, error) {
	out, err := ip(ctx, "-j", "-4", "route", "show", "table", "all")
	if err != nil {
		return nil, err
	}
	return ParseRoutes(out)
}

// routeDev returns the interface the kernel would send a packet to addr
// through, from this machine's namespace.
func routeDev(ctx context.Context, addr string) (string, error) {
	out, err := ip(ctx, "-j", "route", "get", addr)
	if err != nil {
		return "", err
	}
	rs, err := ParseRoutes(out)
	if err != nil {
		return "", err
	}
	if len(rs) == 0 {
		return "", fmt.Errorf("ip route get %s: no route", addr)
	}
	return rs[0].Dev, nil
}

// missingTools names the programs a network needs that are not on the
// PATH.
func missingTools() []string {
	var missing []string
	for _, tool := range []string{"ip", "nsenter"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	return missing
}
