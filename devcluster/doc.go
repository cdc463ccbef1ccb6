// Package devcluster runs a Nomad cluster on this machine for development
// and demos: one server agent and one or more client agents, all on
// 127.0.0.1, every client loading the dockmr-driver plugin and sharing one
// Docker daemon and one data directory that tasks bind-mount at the same
// path.
//
// The server and the clients are separate agents rather than one `nomad
// agent -dev`: -dev keeps its state in memory, so a restarted agent could
// not recover its tasks, and a combined server and client agent's first
// node registration races the server's keyring, costing a 15 to 30 second
// retry on every start.
//
// With Options.Hosts the cluster runs on a private network of hosts on
// this machine instead (package devcluster/hosts; Linux, root): the server
// and every client in a network namespace of its own with its own
// address, each client with its own Docker daemon, so that a task's host
// network is its node's. Each host has a handle, Host, whose faults (Cut,
// Restore, Lose) tests pull on; RestartServer restarts the server agent.
//
// Each client agent has a handle, Client, that stops, kills and restarts
// it on the same state and ports, which is how task recovery is tried
// out, and reaches its own HTTP API.
//
// Stopping a cluster stops its jobs, shuts the clients down before the
// server, ends whatever process the agents left behind, removes the
// containers of its nodes and, unless the caller chose it, deletes the
// agents' state directory. The data directory is the user's and is kept.
package devcluster
