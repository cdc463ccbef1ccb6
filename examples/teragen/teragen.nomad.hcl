# TeraGen as a plain Nomad job: `nomad job run` with no dockmr command.
#
#   nomad job run -var data_dir=/srv/dockmr -var rows=10m -var maps=4 \
#     examples/teragen/teragen.nomad.hcl
#
# writes rows 100-byte records into data_dir/output as part-m-00000 ...,
# one file per map, and _SUCCESS once the last map has finished: the same
# files as `dockmr teragen --maps 4 --format binary 10m DIR`. Each
# allocation is one map task; NOMAD_ALLOC_INDEX picks its rows and
# NOMAD_ALLOC_ID names its attempt, so a rescheduled allocation starts a
# fresh attempt and the output never holds a row twice. The output
# directory must not exist yet (or be empty). A job stopped midway leaves
# its committed maps under output/_temporary/teragen: running it again
# with the same variables runs only the maps that had not finished.
#
# The clients need dockmr-driver with data_dir under its allowed_mounts and
# task_runtime set (the README's plugin block; `dockmr dev` does both),
# and the image, which `make image` builds.

variable "data_dir" {
  type        = string
  description = "Shared directory every client sees at the same path, mounted into the tasks."
}

variable "output" {
  type        = string
  default     = "teragen"
  description = "Output directory, relative to data_dir."
}

variable "rows" {
  type        = string
  default     = "1m"
  description = "Number of rows, with an optional k, m, b or t suffix (powers of 1000)."
}

variable "maps" {
  type        = number
  default     = 2
  description = "Number of map tasks and part files."
}

variable "format" {
  type        = string
  default     = "binary"
  description = "binary (Hadoop TeraGen) or ascii (gensort -a)."
}

variable "image" {
  type    = string
  default = "dockmr/examples:dev"
}

job "teragen" {
  type = "batch"

  group "map" {
    count = var.maps

    # A failed map is retried as a new allocation (a new attempt), up to
    # four tries in all, as Hadoop does.
    restart {
      attempts = 0
      mode     = "fail"
    }
    reschedule {
      attempts       = 3
      interval       = "24h"
      delay          = "5s" # Nomad's shortest
      delay_function = "constant"
      unlimited      = false
    }

    ephemeral_disk {
      size = 64
    }

    task "map" {
      driver = "dockmr-driver"

      config {
        image   = var.image
        command = "/.dockmr/bin/dockmr-task"
        args = [
          "teragen",
          "--maps", "${var.maps}",
          "--format", var.format,
          var.rows, "${var.data_dir}/${var.output}",
        ]

        mounts {
          source = var.data_dir
          target = var.data_dir
        }
      }

      # Two files of 10 MB per stream fit the 64 MB ephemeral disk.
      logs {
        max_files     = 2
        max_file_size = 10
      }

      # The page cache of the part file counts against the container's
      # memory in cgroup v1; memory_max (where the cluster allows memory
      # oversubscription, as `dockmr dev` does) keeps writes from being
      # throttled at the reservation.
      resources {
        cpu        = 500
        memory     = 128
        memory_max = 1024
      }
    }
  }
}
