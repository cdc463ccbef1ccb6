package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// flagsFirst returns the command line args (program name first) with the
// flags of the command it names moved before that command's positional
// arguments, keeping their order, so that `dockmr history OUT --html
// page.html` means `dockmr history --html page.html OUT`: urfave/cli stops
// reading flags at the first positional argument. Everything after "--" is
// positional and stays after it. Command lines that name no known command,
// or a command that parses its own flags, are returned unchanged.
func flagsFirst(app *cli.App, args []string) ([]string, error) {
	if len(args) < 2 {
		return args, nil
	}
	cmd, rest := findCommand(app.Commands, args[1:])
	if cmd == nil || cmd.SkipFlagParsing {
		return args, nil
	}
	moved, err := reorder(rest, valueFlags(cmd))
	if err != nil {
		name := strings.Join(args[1:len(args)-len(rest)], " ")
		return nil, usageErrorf("%s: %v; run 'dockmr %s --help' for usage", name, err, name)
	}
	return append(slices.Clone(args[:len(args)-len(rest)]), moved...), nil
}

// findCommand follows args through commands and their subcommands and
// returns the last command named and the arguments after its name.
func findCommand(cmds []*cli.Command, args []string) (*cli.Command, []string) {
	var found *cli.Command
	for len(args) > 0 {
		next := lookup(cmds, args[0])
		if next == nil {
			break
		}
		found, cmds, args = next, next.Subcommands, args[1:]
	}
	return found, args
}

func lookup(cmds []*cli.Command, name string) *cli.Command {
	for _, c := range cmds {
		if c.HasName(name) {
			return c
		}
	}
	return nil
}

// valueFlags returns, for each name of the command's flags, whether the
// flag takes a value (--html FILE) or stands alone (--json).
func valueFlags(cmd *cli.Command) map[string]bool {
	takes := map[string]bool{"help": false, "h": false}
	for _, f := range cmd.Flags {
		value := true
		if d, ok := f.(cli.DocGenerationFlag); ok {
			value = d.TakesValue()
		}
		for _, n := range f.Names() {
			takes[n] = value
		}
	}
	return takes
}

// reorder moves the flags in args, with the values of those that take one
// (per takesValue, by name), before the positional arguments. A flag not
// in takesValue is taken to stand alone, so that the parser reports it; a
// flag that takes a value but ends args is an error, as moving it would
// give it a positional argument for its value.
func reorder(args []string, takesValue map[string]bool) ([]string, error) {
	var flags, positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return append(append(flags, "--"), append(positional, args[i+1:]...)...), nil
		case a == "-" || !strings.HasPrefix(a, "-"):
			positional = append(positional, a)
		default:
			name := strings.TrimLeft(a, "-")
			switch {
			case strings.Contains(name, "=") || !takesValue[name]:
				flags = append(flags, a)
			case i+1 < len(args):
				flags = append(flags, a, args[i+1])
				i++
			default:
				return nil, fmt.Errorf("flag %s needs a value", a)
			}
		}
	}
	return append(flags, positional...), nil
}
