# A group of tasks that all need the same image, which the node may have to
# pull first.
variable "image" {
  type = string
}

variable "count" {
  type    = number
  default = 1
}

variable "force_pull" {
  type    = bool
  default = false
}

variable "image_pull_timeout" {
  type    = string
  default = "1m"
}

job "pull" {
  type = "batch"

  group "g" {
    count = var.count

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
        image              = var.image
        force_pull         = var.force_pull
        image_pull_timeout = var.image_pull_timeout
        command            = "echo"
        args               = ["pulled"]
      }

      resources {
        cpu    = 50
        memory = 16
      }
    }
  }
}
