job "copy" {
  input   = "/data/in"
  output  = "/data/out"
  records = "tera"
  map {}
  settings {
    sort_mb      = 64
    merge_factor = 8
    max_attempts = 3
    overwrite    = true
    cache_output = true
  }
}
