# The image reference is not a valid Docker reference.
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
        image   = "Not A//Valid::Ref"
        command = "sh"
      }

      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
