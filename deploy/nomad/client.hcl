# Nomad client agent of a dockmr cluster: runs map and reduce tasks with the
# dockmr-driver plugin, and keeps Nomad's own docker driver.
# deploy/render-config.sh fills in the placeholders (upper-case names between
# '@' signs); deploy/provision.sh writes the result to /etc/nomad.d/client.hcl.

name                 = "@NODE_NAME@"
data_dir             = "/var/lib/nomad"
bind_addr            = "0.0.0.0"
disable_update_check = true
plugin_dir           = "@PREFIX@/plugins"

advertise {
  http = "@NODE_IP@"
  rpc  = "@NODE_IP@"
  serf = "@NODE_IP@"
}

client {
  enabled = true
  servers = ["@SERVER_IP@:4647"]

  # Fingerprint the private network, not the provider's NAT interface.
  network_interface = "@INTERFACE@"

  # The node's shuffle server (the system job dockmr-shuffle, registered by
  # `dockmr shuffle start`) serves map output of jobs run with --shuffle
  # node from this local directory, on this address.
  meta {
    dockmr_shuffle_dir  = "@SHUFFLE_DIR@"
    dockmr_shuffle_addr = "@NODE_IP@:@SHUFFLE_PORT@"
  }

  # No task gets the shuffle server's port.
  reserved {
    reserved_ports = "@SHUFFLE_PORT@"
  }

  options = {
    # The agent built from the dockmr module cannot set up the cloud
    # metadata clients, and its client fails to start while they are on.
    "fingerprint.denylist" = "env_aws,env_gce,env_azure,env_digitalocean"
  }
}

# Since Nomad 1.10 a plugin in plugin_dir loads only when a block names it.
plugin "dockmr-driver" {
  config {
    # Tasks bind-mount the shared data directory (NFS from the server) at
    # the same path on every client, and the node's local shuffle
    # directory; nothing else on the host.
    allowed_mounts = ["@DATA_DIR@", "@SHUFFLE_DIR@"]

    # Mounted read-only into every task container at /.dockmr/bin/dockmr-task,
    # so any image can run a dockmr task.
    task_runtime = "@PREFIX@/bin/dockmr-task"

    image_pull_timeout = "5m"

    gc {
      container = true
      dangling_containers {
        enabled        = true
        period         = "5m"
        creation_grace = "5m"
      }
    }
  }
}

plugin "docker" {
  config {
    # Images are loaded on each client, not pulled (no registry is needed):
    # the docker driver must not delete one when its last task ends.
    gc {
      image = false
    }
  }
}

# The client collects task resource usage (CPU, memory, the container's
# PIDs from dockmr-driver) for the allocation stats API only when
# allocation metrics are published.
telemetry {
  publish_allocation_metrics = true
  collection_interval        = "10s"
}
