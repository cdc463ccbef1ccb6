# args must be a list of strings.
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
        image   = var.image
        command = "sh"
        args    = "-c echo never"
      }

      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
