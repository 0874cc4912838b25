package tools

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Rm removes files and folders the way `rm [-r] [-f] PATH...` does; Tilt's
// live_update runs `rm -rf` for files deleted on the host. Without -r a
// folder is refused; without -f a missing path is an error.
//
// As GNU rm does, it refuses `/` and any path whose last element is `.` or
// `..`. Unlike GNU rm's default, a recursive removal stays on the file system
// of its operand (GNU's --one-file-system): a volume or a bind mount inside
// the folder is skipped with an error, never emptied.
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
		for _, err := range remove(p, recursive, force) {
			fmt.Fprintf(stderr, "rm: %v\n", err)
			status = 1
		}
	}
	return status
}

// remove removes one operand and returns what it could not remove.
func remove(p string, recursive, force bool) []error {
	// GNU rm looks at the last element with its trailing slashes removed:
	// "dir/.." and "dir/./" are refused too.
	trimmed := strings.TrimRight(p, "/")
	if last := filepath.Base(trimmed); trimmed != "" && (last == "." || last == "..") {
		return []error{fmt.Errorf("refusing to remove '.' or '..' folder: skipping %q", p)}
	}
	var st unix.Stat_t
	err := unix.Lstat(p, &st) // follows a link only when p ends in a slash, as rm does
	switch {
	case errors.Is(err, unix.ENOENT) && force:
		return nil
	case err != nil:
		return []error{fmt.Errorf("cannot remove %q: %w", p, err)}
	case isDir(&st) && isRootFolder(&st):
		return []error{fmt.Errorf("refusing to remove %q: it is the root folder /", p)}
	case isDir(&st) && !recursive:
		return []error{fmt.Errorf("cannot remove %q: is a folder (give -r)", p)}
	case !recursive:
		// unlink, not os.Remove: a folder swapped in since the stat stays.
		return ignoreGone(p, unix.Unlink(p))
	}
	parent, err := os.Open(filepath.Dir(trimmed))
	if err != nil {
		return []error{fmt.Errorf("cannot remove %q: %w", p, err)}
	}
	defer parent.Close()
	return removeAt(int(parent.Fd()), filepath.Base(trimmed), p, st.Dev)
}

// removeAt removes name in the folder dirfd, and everything under it that is
// on the file system dev. Each step goes through the folder's descriptor,
// never a path, so a folder swapped for a link halfway cannot lead elsewhere.
// shown is the path that errors name.
func removeAt(dirfd int, name, shown string, dev uint64) []error {
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return ignoreGone(shown, err)
	}
	if !isDir(&st) {
		return ignoreGone(shown, unix.Unlinkat(dirfd, name, 0))
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
		// Replaced by a file or a link since the stat: remove that instead.
		return ignoreGone(shown, unix.Unlinkat(dirfd, name, 0))
	}
	if err != nil {
		return ignoreGone(shown, err)
	}
	dir := os.NewFile(uintptr(fd), shown)
	defer dir.Close()
	// The device of the folder opened, not of the one stat'ed before.
	if err := unix.Fstat(fd, &st); err != nil {
		return []error{fmt.Errorf("cannot remove %q: %w", shown, err)}
	}
	if st.Dev != dev {
		return []error{fmt.Errorf("skipping %q: it is on another file system (a mount point), and rm -r stays on one", shown)}
	}
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return []error{fmt.Errorf("cannot remove %q: %w", shown, err)}
	}
	var errs []error
	for _, n := range names {
		errs = append(errs, removeAt(fd, n, filepath.Join(shown, n), dev)...)
	}
	if len(errs) > 0 {
		return errs // the folder is not empty: say why, not that
	}
	return ignoreGone(shown, unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR))
}

// ignoreGone is err as the failure to remove shown, if any: a path that is
// already gone is removed.
func ignoreGone(shown string, err error) []error {
	if err == nil || errors.Is(err, unix.ENOENT) {
		return nil
	}
	return []error{fmt.Errorf("cannot remove %q: %w", shown, err)}
}

func isDir(st *unix.Stat_t) bool { return st.Mode&unix.S_IFMT == unix.S_IFDIR }

// isRootFolder tells whether st is /, however it was named ("//", "/tmp/../").
func isRootFolder(st *unix.Stat_t) bool {
	var root unix.Stat_t
	return unix.Stat("/", &root) == nil && root.Dev == st.Dev && root.Ino == st.Ino
}
