# network_mode is not a dockmr-driver option: networking is always host.
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
        image        = var.image
        network_mode = "bridge"
        command      = "sh"
      }

      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
