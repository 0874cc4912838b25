package tools

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// Rm removes files and folders the way `rm [-r] [-f] PATH...` does; Tilt's
// live_update runs `rm -rf` for files deleted on the host. Without -r a
// folder is refused; without -f a missing path is an error.
//
// It returns the exit status: 0, 1 when a path could not be removed, 2 for
// bad usage.
func Rm(args []string, stderr io.Writer) int {
	recursive, force := false, false
	var paths []string
	for i, a := range args {
		if a == "--" {
			paths = append(paths, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			paths = append(paths, a)
			continue
		}
		for _, c := range a[1:] {
			switch c {
			case 'r', 'R':
				recursive = true
			case 'f':
				force = true
			default:
				fmt.Fprintf(stderr, "rm: option -%c is not supported (-r and -f are)\n", c)
				return 2
			}
		}
	}
	if len(paths) == 0 && !force {
		fmt.Fprintln(stderr, "rm: missing operand")
		return 2
	}
	status := 0
	for _, p := range paths {
		if err := remove(p, recursive, force); err != nil {
			fmt.Fprintf(stderr, "rm: %v\n", err)
			status = 1
		}
	}
	return status
}

func remove(p string, recursive, force bool) error {
	fi, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist) && force:
		return nil
	case err != nil:
		return err
	case fi.IsDir() && !recursive:
		return fmt.Errorf("cannot remove %s: is a folder (give -r)", p)
	case fi.IsDir():
		return os.RemoveAll(p)
	}
	return os.Remove(p)
}
