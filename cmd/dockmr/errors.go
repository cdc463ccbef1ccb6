package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/dockmr/dockmr/internal/tail"
	"github.com/dockmr/dockmr/jobs/nomad"
)

// usageError is a bad command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return usageError{fmt.Sprintf(format, args...)}
}

// exitStatus ends the program with a status and no message, the message
// having been printed already.
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// onUsageError turns flag parsing errors into usage errors.
func onUsageError(c *cli.Context, err error, _ bool) error {
	return usageErrorf("%s: %v; run 'dockmr %s --help' for usage", commandName(c), err, commandName(c))
}

// commandName returns the name of the running command, as errors start.
func commandName(c *cli.Context) string {
	if c.Command != nil && c.Command.Name != "" {
		return c.Command.Name
	}
	return "dockmr"
}

// exitCode prints an error as one line and returns the exit status for it:
// 0 for none, 2 for usage errors, 1 for the rest. The end of a failed
// task's stderr that the error carries is printed above that line, as it
// was written, so that the error stays the last line.
func exitCode(stderr io.Writer, err error) int {
	var status exitStatus
	var usage usageError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &status):
		return int(status)
	case errors.As(err, &usage):
		fmt.Fprintf(stderr, "dockmr: %s\n", oneLine(usage.msg))
		return 2
	}
	if nomad.IsPermissionDenied(err) {
		err = nomad.PermissionDenied(err)
	}
	msg, end := tail.Split(err)
	if end != "" {
		fmt.Fprintf(stderr, "the failed task's stderr ends with:\n%s\n", tail.Indent(end))
	}
	fmt.Fprintf(stderr, "dockmr: %s\n", oneLine(msg))
	return 1
}

// oneLine joins the lines of a message, such as those of joined errors.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}
