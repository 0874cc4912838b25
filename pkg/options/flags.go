package options

import "strings"

// A Flag is one option of a command line, for ParseFlags.
type Flag struct {
	Name string // without dashes
	// Inline says that a value can only be given as --name=value: --name
	// alone sets the flag without one, as a boolean, or restart's --wait.
	Inline bool
	// Set takes the flag's value; hasValue is false for an Inline flag
	// given alone.
	Set func(value string, hasValue bool) error
}

// A FlagError is an argument ParseFlags cannot take. The callers turn it
// into a message that says what they accept.
type FlagError struct {
	Arg     string // the argument as given
	Missing string // the flag whose value is missing; "" for an unknown flag
}

func (e *FlagError) Error() string {
	if e.Missing != "" {
		return "option --" + e.Missing + " needs a value"
	}
	return "unknown option " + Quote(e.Arg)
}

// ParseFlags is the command-line parser of the supervisor and its
// subcommands. It reads the flags at the start of args, spelled
// --name=value, --name value, or with a single dash, as package flag does,
// and returns the arguments after them: from "--", "-", or the first one
// that does not start with a dash. An error is a *FlagError, or one that
// a flag's Set returned.
func ParseFlags(args []string, flags []Flag) (rest []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || len(a) < 2 || a[0] != '-' {
			return args[i:], nil
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a[1:], "-"), "=")
		f := findFlag(flags, name)
		if f == nil {
			return nil, &FlagError{Arg: a}
		}
		if !hasValue && !f.Inline {
			if i+1 >= len(args) {
				return nil, &FlagError{Arg: a, Missing: f.Name}
			}
			i++
			value, hasValue = args[i], true
		}
		if err := f.Set(value, hasValue); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func findFlag(flags []Flag, name string) *Flag {
	for i := range flags {
		if flags[i].Name == name {
			return &flags[i]
		}
	}
	return nil
}
