# A long-running task of Nomad's own docker driver, used to check the test
# harness independently of dockmr-driver.
variable "image" {
  type = string
}

job "docker-sleep" {
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
      driver = "docker"

      config {
        image        = var.image
        network_mode = "host"
        command      = "sh"
        args         = ["-c", "trap 'echo got USR1' USR1; echo started; while true; do sleep 0.1; done"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
