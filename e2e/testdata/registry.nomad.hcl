# A task whose image comes from a private registry, with the task's own
# credentials when username is set. Restarts are allowed so that a test can
# tell that a refused pull is not retried.
variable "image" {
  type = string
}

variable "username" {
  type    = string
  default = ""
}

variable "password" {
  type    = string
  default = ""
}

variable "image_pull_timeout" {
  type    = string
  default = "1m"
}

variable "image_pull_inactivity_timeout" {
  type    = string
  default = "1m"
}

job "registry" {
  type = "batch"

  group "g" {
    restart {
      attempts = 2
      delay    = "1s"
      mode     = "fail"
    }

    reschedule {
      attempts  = 0
      unlimited = false
    }

    task "main" {
      driver = "dockmr-driver"

      config {
        image                         = var.image
        force_pull                    = true
        image_pull_timeout            = var.image_pull_timeout
        image_pull_inactivity_timeout = var.image_pull_inactivity_timeout
        command                       = "echo"
        args                          = ["pulled"]

        auth {
          username = var.username
          password = var.password
        }
      }

      resources {
        cpu    = 50
        memory = 16
      }
    }
  }
}
