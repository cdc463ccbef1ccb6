# A task using the task config options besides image and mounts, plus
# Nomad's user and env: it reports what it sees, then sleeps.
variable "image" {
  type = string
}

job "options" {
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
      user   = "nobody"

      env {
        GREETING = "hello from env"
      }

      config {
        image      = var.image
        entrypoint = ["/bin/sh", "-c"]
        command    = <<-EOS
          id -u
          pwd
          echo "$GREETING $NOMAD_TASK_NAME $NOMAD_ALLOC_ID"
          ls -d /alloc /local /secrets
          echo shared > /alloc/data/from-task
          echo ready
          exec sleep 600
        EOS
        work_dir   = "/tmp"

        labels {
          team = "e2e"
        }
      }

      resources {
        cpu    = 100
        memory = 32
      }
    }
  }
}
