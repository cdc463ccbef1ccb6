# Word count as a streaming job. The mapper turns text into one
# "word<TAB>1" line per word; the reducer adds up the counts of each word,
# relying on its input being sorted and grouped by word. Both are plain
# busybox tools: the example image (make image) has them, and nothing of
# dockmr but the task runtime.
#
#   dockmr run --local examples/wordcount/wordcount.hcl
#
# writes examples/wordcount/out/part-r-0000{0,1}; expected.txt holds the
# answer, sorted by word.
job "wordcount" {
  image  = "dockmr/examples:dev"
  input  = ["input"]
  output = "out"

  map {
    command = "tr -cs 'A-Za-z' '\\n' | tr 'A-Z' 'a-z' | awk 'NF { print $0 \"\\t1\" }'"
    tasks   = 2
  }

  reduce {
    command = ["awk", "-F", "\t", "$1 != w { if (NR > 1) print w \"\\t\" n; w = $1; n = 0 } { n += $2 } END { if (NR > 0) print w \"\\t\" n }"]
    tasks   = 2
    env     = { LC_ALL = "C" }
  }
}
