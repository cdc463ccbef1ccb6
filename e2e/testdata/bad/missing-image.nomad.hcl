# The task config lacks the required image.
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
        command = "sh"
        args    = ["-c", "echo never"]
      }

      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
