job "x" {
  input   = "i"
  output  = out_dir
  records = "csv"
  map {
    tasks   = 0
    command = []
  }
  reduce {}
  reduce {}
  settings {
    sort_mb = 5000
  }
}
