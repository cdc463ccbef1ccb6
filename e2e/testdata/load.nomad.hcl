# A task whose image arrives as a `docker save` tarball through an artifact
# block, for nodes that reach no registry.
variable "image" {
  type = string
}

variable "url" {
  type = string
}

variable "load" {
  type    = string
  default = "local/image.tar"
}

job "load" {
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

      artifact {
        source      = var.url
        destination = "local/"
        # A .tar would otherwise be unpacked.
        options {
          archive = "false"
        }
      }

      config {
        image   = var.image
        load    = var.load
        command = "echo"
        args    = ["loaded"]
      }

      resources {
        cpu    = 50
        memory = 16
      }
    }
  }
}
