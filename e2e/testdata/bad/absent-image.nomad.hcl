# The image exists nowhere: not local, and no registry is reachable.
variable "image" {
  type = string
}

job "bad" {
  type = "batch"

  group "g" {
    restart {
      attempts = 0
      mode     = "fail"
    }

    reschedule {
      attempts  = 0
      unlimited = false
    }

    task "main" {
      driver = "dockmr-driver"

      config {
        image              = "dockmr/never-built:absent"
        image_pull_timeout = "30s"
        command            = "sh"
      }

      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
