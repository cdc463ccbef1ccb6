package hosts

import (
	"encoding/json"
	"fmt"
	"net/netip"
)

// TestRange is where networks take their subnet unless told otherwise:
// 198.18.0.0/15, set aside for benchmarking networks (RFC 2544), so it
// names no one's hosts.
var TestRange = netip.MustParsePrefix("198.18.0.0/15")

// subnetBits is the size of the subnet taken from TestRange.
const subnetBits = 24

// Route is one route of the machine, as `ip -j route` reports it.
type Route struct {
	Dst string `json:"dst"`
	Dev string `json:"dev"`
}

// ParseRoutes reads the output of `ip -j route show table all` or `ip -j
// route get`.
func ParseRoutes(b []byte) ([]Route, error) {
	var rs []Route
	if err := json.Unmarshal(b, &rs); err != nil {
		return nil, fmt.Errorf("read routes from ip -j: %w", err)
	}
	return rs, nil
}

// routePrefix is the destination of a route as a prefix; ok is false for
// the default route, which covers everything, and for destinations that
// are not IPv4 addresses or prefixes.
func routePrefix(r Route) (netip.Prefix, bool) {
	if r.Dst == "" || r.Dst == "default" {
		return netip.Prefix{}, false
	}
	if p, err := netip.ParsePrefix(r.Dst); err == nil && p.Addr().Is4() {
		return p.Masked(), true
	}
	if a, err := netip.ParseAddr(r.Dst); err == nil && a.Is4() {
		return netip.PrefixFrom(a, 32), true
	}
	return netip.Prefix{}, false
}

// Overlapping returns the routes whose destination overlaps p, the
// default route left out.
func Overlapping(p netip.Prefix, routes []Route) []Route {
	var out []Route
	for _, r := range routes {
		if rp, ok := routePrefix(r); ok && rp.Overlaps(p) {
			out = append(out, r)
		}
	}
	return out
}

// PickSubnet returns the first /24 of TestRange that no route overlaps.
func PickSubnet(routes []Route) (netip.Prefix, error) {
	base := TestRange.Addr().As4()
	count := 1 << (subnetBits - TestRange.Bits())
	for i := range count {
		a := base
		a[2] += byte(i)
		a[1] += byte(i >> 8)
		p := netip.PrefixFrom(netip.AddrFrom4(a), subnetBits)
		if len(Overlapping(p, routes)) == 0 {
			return p, nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("every /%d of %s overlaps a route of this machine: remove the networks of stopped runs (dockmr dev --hosts cleans them up) or give a subnet", subnetBits, TestRange)
}

// CheckSubnet refuses a subnet given by the user that is not IPv4, is too
// small for hosts hosts and the machine's own address, or overlaps one of
// the machine's routes, which would send test traffic somewhere else.
func CheckSubnet(p netip.Prefix, hosts int, routes []Route) error {
	if !p.IsValid() || !p.Addr().Is4() {
		return fmt.Errorf("subnet %s: want an IPv4 prefix such as 198.18.0.0/24", p)
	}
	if p != p.Masked() {
		return fmt.Errorf("subnet %s has host bits set: want %s", p, p.Masked())
	}
	a := p.Addr()
	if a.IsLoopback() || a.IsMulticast() || a.IsLinkLocalUnicast() || a.IsUnspecified() {
		return fmt.Errorf("subnet %s is a loopback, multicast, link-local or unspecified range: want an unused IPv4 range such as %s", p, TestRange)
	}
	// The network and broadcast addresses, the machine's and one per host.
	if need := hosts + 3; p.Bits() > 32 || 1<<(32-p.Bits()) < need {
		return fmt.Errorf("subnet %s is too small for %d hosts: it needs %d addresses; want a /%d or larger", p, hosts, need, prefixFor(need))
	}
	if over := Overlapping(p, routes); len(over) > 0 {
		return fmt.Errorf("subnet %s overlaps the route to %s via %s of this machine: test traffic could leave the machine; choose a subnet no route covers, e.g. in %s",
			p, over[0].Dst, over[0].Dev, TestRange)
	}
	return nil
}

// prefixFor is the longest prefix length holding n addresses.
func prefixFor(n int) int {
	bits := 32
	for 1<<(32-bits) < n {
		bits--
	}
	return bits
}

// Addresses are a subnet's addresses as a network uses them: the first
// for the machine's own interface, then one per host, in order.
func Addresses(p netip.Prefix, hosts int) (machine netip.Addr, each []netip.Addr) {
	machine = p.Addr().Next()
	a := machine
	for range hosts {
		a = a.Next()
		each = append(each, a)
	}
	return machine, each
}
