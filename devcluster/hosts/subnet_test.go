package hosts

import (
	"net/netip"
	"testing"

	"github.com/shoenig/test/must"
)

// A route table like this machine's, in `ip -j -4 route show table all`
// form.
const routesJSON = `[{"dst":"default","gateway":"192.0.2.1","dev":"eth0","flags":[]},
{"dst":"172.17.0.0/16","dev":"docker0","protocol":"kernel","scope":"link","prefsrc":"172.17.0.1","flags":["linkdown"]},
{"dst":"192.0.2.0/24","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"192.0.2.2","flags":[]},
{"type":"local","dst":"127.0.0.0/8","dev":"lo","table":"local","protocol":"kernel","scope":"host","prefsrc":"127.0.0.1","flags":[]},
{"type":"local","dst":"192.0.2.2","dev":"eth0","table":"local","flags":[]}]`

func parsed(t *testing.T, s string) []Route {
	t.Helper()
	rs, err := ParseRoutes([]byte(s))
	must.NoError(t, err)
	return rs
}

func TestPickSubnetSkipsTakenOnes(t *testing.T) {
	rs := parsed(t, routesJSON)
	p, err := PickSubnet(rs)
	must.NoError(t, err)
	must.Eq(t, netip.MustParsePrefix("198.18.0.0/24"), p, must.Sprint("the default route does not count"))

	// Another run's network, and a single address in the next /24.
	rs = append(rs, Route{Dst: "198.18.0.0/24", Dev: "dmr1a2b3c"}, Route{Dst: "198.18.1.7", Dev: "eth9"})
	p, err = PickSubnet(rs)
	must.NoError(t, err)
	must.Eq(t, netip.MustParsePrefix("198.18.2.0/24"), p)

	// A route covering the whole test range leaves nothing.
	_, err = PickSubnet(append(rs, Route{Dst: "198.16.0.0/12", Dev: "eth1"}))
	must.ErrorContains(t, err, "overlaps a route")
}

func TestPickSubnetCrossesIntoSecondHalf(t *testing.T) {
	rs := []Route{{Dst: "198.18.0.0/16", Dev: "eth1"}}
	p, err := PickSubnet(rs)
	must.NoError(t, err)
	must.Eq(t, netip.MustParsePrefix("198.19.0.0/24"), p)
}

func TestCheckSubnet(t *testing.T) {
	rs := parsed(t, routesJSON)
	for _, tc := range []struct {
		subnet, want string
	}{
		{"198.18.5.0/24", ""},
		{"198.18.5.0/29", ""},
		{"198.18.5.0/30", "too small for 3 hosts: it needs 6 addresses; want a /29"},
		{"198.18.5.1/24", "host bits set"},
		{"192.0.2.0/25", "overlaps the route to 192.0.2.0/24 via eth0"},
		{"172.17.3.0/24", "overlaps the route to 172.17.0.0/16 via docker0"},
		{"127.1.0.0/24", "loopback"},
		{"::1/128", "want an IPv4 prefix"},
	} {
		err := CheckSubnet(netip.MustParsePrefix(tc.subnet), 3, rs)
		if tc.want == "" {
			must.NoError(t, err, must.Sprint(tc.subnet))
		} else {
			must.ErrorContains(t, err, tc.want, must.Sprint(tc.subnet))
		}
	}
}

func TestAddresses(t *testing.T) {
	m, each := Addresses(netip.MustParsePrefix("198.18.3.0/24"), 3)
	must.Eq(t, "198.18.3.1", m.String())
	must.Eq(t, []netip.Addr{
		netip.MustParseAddr("198.18.3.2"), netip.MustParseAddr("198.18.3.3"), netip.MustParseAddr("198.18.3.4"),
	}, each)
}

func TestParseRoutesBad(t *testing.T) {
	_, err := ParseRoutes([]byte("not json"))
	must.ErrorContains(t, err, "read routes")
}
