# One task running a shell script in the test image. The end-to-end tests
# vary the script, the driver and the limits through the variables.
variable "image" {
  type = string
}

variable "script" {
  type        = string
  description = "Shell script run with sh -c."
}

variable "driver" {
  type    = string
  default = "dockmr-driver"
}

variable "memory" {
  type    = number
  default = 64
}

variable "kill_timeout" {
  type    = string
  default = "5s"
}

job "sh" {
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
      driver       = var.driver
      kill_timeout = var.kill_timeout

      config {
        image   = var.image
        command = "sh"
        args    = ["-c", var.script]
      }

      resources {
        cpu    = 100
        memory = var.memory
      }
    }
  }
}
