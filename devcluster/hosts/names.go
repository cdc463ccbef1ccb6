package hosts

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// Names of what a network makes. Everything starts with its ID's marker,
// which is how leftovers are told from anything else on the machine.
const (
	nsPrefix   = "dmr-"   // network namespaces: dmr-ID-NAME
	linkPrefix = "dmr"    // the machine's interface: dmrID
	switchName = "switch" // the switch namespace's NAME
	bridgeName = "br0"    // the bridge, inside the switch namespace
	uplinkName = "uplink" // the switch's end of the machine's interface
	hostIface  = "eth0"   // a host's interface, inside its namespace
	netnsDir   = "/run/netns"
)

// idLen is the length of a network's ID in hex digits: the machine's
// interface name, dmrID, must fit in 15 bytes.
const idLen = 6

var (
	hostNameRE = regexp.MustCompile(`^[a-z][a-z0-9-]{0,19}$`)
	idRE       = regexp.MustCompile(`^[0-9a-f]{6}$`)
)

// newID returns a random network ID.
func newID() string {
	b := make([]byte, idLen/2)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// nsName is the network namespace of the host (or switch) name in the
// network id.
func nsName(id, name string) string { return nsPrefix + id + "-" + name }

// linkName is the machine's interface of the network id.
func linkName(id string) string { return linkPrefix + id }

// portName is the switch's end of the i-th host's cable.
func portName(i int) string { return fmt.Sprintf("p%d", i) }

// checkHostName refuses a host name that would make a bad namespace name.
func checkHostName(name string) error {
	if name == switchName {
		return fmt.Errorf("host name %q is the switch's: choose another", name)
	}
	if !hostNameRE.MatchString(name) {
		return fmt.Errorf("host name %q: want a lower-case letter, then up to 19 lower-case letters, digits or '-'", name)
	}
	return nil
}

// ownedBy reports whether the namespace or link name is one the network
// id makes.
func ownedBy(id, name string) bool {
	return idRE.MatchString(id) && (name == linkName(id) || strings.HasPrefix(name, nsPrefix+id+"-"))
}
