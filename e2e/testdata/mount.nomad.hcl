# A task that bind-mounts a host directory (read-write) and a file
# (read-only). The driver allows only sources under its allowed_mounts.
variable "image" {
  type = string
}

variable "source" {
  type        = string
  description = "Host directory mounted read-write at /data."
}

variable "readonly_source" {
  type        = string
  description = "Host file mounted read-only at /config."
}

job "mount" {
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
        args = ["-c", <<-EOS
          cat /config
          echo written-by-task > /data/out
          if echo x > /config; then echo config-writable; else echo config-readonly; fi
        EOS
        ]

        mounts {
          source = var.source
          target = "/data"
        }

        mounts {
          source   = var.readonly_source
          target   = "/config"
          readonly = true
        }
      }

      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
