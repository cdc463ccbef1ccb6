package history

import (
	"fmt"
	"io"
	"strings"
)

// WriteStderrTails prints the ends of stderr the record keeps, those of
// failed attempts: of every attempt of the task named (m-00003), or of
// every failed attempt when task is empty. Each comes under a line naming
// the attempt, its node, its exit code and its failure. It returns how
// many it printed.
func WriteStderrTails(w io.Writer, rec *Record, task string) (int, error) {
	n := 0
	for _, a := range rec.Attempts {
		if a.StderrTail == "" || task != "" && a.TaskName() != task {
			continue
		}
		if n > 0 {
			if _, err := fmt.Fprintln(w); err != nil {
				return n, err
			}
		}
		failure := ""
		if a.Failure != "" {
			failure = ": " + oneLine(a.Failure)
		}
		if _, err := fmt.Fprintf(w, "%s attempt %d on %s (%s, exit code %d)%s\n%s\n",
			a.TaskName(), a.Number, a.Node, a.State, a.ExitCode, failure, indentLines(a.StderrTail)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func indentLines(s string) string {
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
