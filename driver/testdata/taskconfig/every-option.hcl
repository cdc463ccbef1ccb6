config {
  image      = "registry.local:5000/dockmr/examples:dev"
  command    = "/dockmr-task"
  args       = ["map", "--index", "3"]
  entrypoint = ["/bin/sh", "-c"]
  work_dir   = "/work"
  mounts {
    source   = "/data/in"
    target   = "/in"
    readonly = true
  }
  labels             = { team = "search" }
  force_pull         = true
  image_pull_timeout = "90s"
  privileged         = false
  cap_add            = ["net_bind_service"]
  readonly_rootfs    = true
  pids_limit         = 64
  load                          = "local/app.tar"
  image_pull_inactivity_timeout = "30s"
  auth {
    username       = "ci"
    password       = "s3cret"
    email          = "ci@example.com"
    server_address = "registry.local:5000"
  }
}
