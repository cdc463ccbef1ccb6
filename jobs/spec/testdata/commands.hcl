job "lists" {
  image  = "registry.lan:5000/team/tools:1"
  input  = ["a", "b/c", "/abs/d"]
  output = "out"

  map {
    command = ["awk", "{ print $1 \"\t\" 1 }"]
    tasks   = 4
    env     = { LC_ALL = "C", MODE = "map" }
  }
  reduce {
    command = "sort | uniq -c"
    tasks   = 3
    image   = "other:2"
  }
}
