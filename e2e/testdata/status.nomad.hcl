# A task that prints who it runs as and what it may do (/proc/self/status)
# and proves it can write its task directories. The security tests vary
# the user and the privileges it asks for.
variable "image" {
  type = string
}

variable "user" {
  type    = string
  default = ""
}

variable "privileged" {
  type    = bool
  default = false
}

variable "cap_add" {
  type        = string
  default     = ""
  description = "Capabilities to add, separated by commas."
}

job "status" {
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
      user   = var.user

      config {
        image      = var.image
        privileged = var.privileged
        cap_add    = compact(split(",", var.cap_add))
        command    = "sh"
        args = ["-c", <<-EOS
          grep -E '^(Uid|Gid|Cap[A-Za-z]+|NoNewPrivs):' /proc/self/status
          echo x > /alloc/w && echo x > "$NOMAD_TASK_DIR/w" && echo task-dirs-writable
        EOS
        ]
      }

      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
