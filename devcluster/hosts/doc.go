// Package hosts makes a private network of hosts on this machine: one
// Linux network namespace per host, each with its own address and
// loopback, joined by a bridge in a "switch" namespace of their own, and
// an interface of the machine's own namespace on the same bridge, so that
// commands run from the shell reach every host over a local route. It is
// what `dockmr dev --hosts N` runs its Nomad agents and Docker daemons in.
//
// Every packet stays on the machine. The test subnet is the first /24 of
// 198.18.0.0/15 (the range set aside for benchmarks, RFC 2544) that no
// route of the machine overlaps, picked under a lock so that concurrent
// runs take different ones; once the network is up, Create asks the
// kernel (`ip route get`) how each host address is reached and refuses to
// go on unless it is through the network's own interface.
//
// Everything a network makes carries its ID: namespaces dmr-ID-NAME, the
// machine's interface dmrID. A record of it, with the creating process's
// ID, is kept in /run/dockmr/hosts/ID.json before anything is made, so
// that a run killed outright is cleaned up by the next one
// (CleanLeftovers), which removes only what such a record names, and only
// once the process that wrote it is gone.
//
// Faults for tests: Cut and Restore take a host's cable out of the switch
// and put it back; Remove loses a host for good, every process in its
// namespace with it.
package hosts
