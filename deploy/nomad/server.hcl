# Nomad server agent of a dockmr cluster; it runs no tasks.
# deploy/render-config.sh fills in the placeholders (upper-case names between
# '@' signs); deploy/provision.sh writes the result to /etc/nomad.d/server.hcl.

name                 = "@NODE_NAME@"
data_dir             = "/var/lib/nomad"
bind_addr            = "0.0.0.0"
disable_update_check = true

# A VM's first interface is often its provider's NAT network, with the same
# address on every machine; the cluster talks over the private network only.
advertise {
  http = "@NODE_IP@"
  rpc  = "@NODE_IP@"
  serf = "@NODE_IP@"
}

server {
  enabled          = true
  bootstrap_expect = 1

  # dockmr tasks reserve `memory` and may use up to `memory_max`: on cgroup
  # v1 the page cache of the files a task writes counts against its limit,
  # and a limit at the reservation throttles the task's writes.
  default_scheduler_config {
    memory_oversubscription_enabled = true
  }
}
