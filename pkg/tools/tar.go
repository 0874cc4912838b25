// Package tools holds the small commands that Tilt's live_update runs inside
// a container: `tar -C DIR -x -f -` to sync files and `rm -rf PATH...` to
// delete them. Images with no shell and no tar (scratch, distroless) lack
// them; with RESTART_TOOLS=on the frontend adds the multi-call binary
// cmd/tools, linked as tar and rm on the image's PATH.
//
// They do only what live_update needs, and refuse the rest with an error
// that says so rather than doing something else.
package tools

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Tar extracts a tar archive the way `tar -C DIR -x -f FILE` does, with FILE
// "-" for stdin. Every entry stays inside DIR: paths are resolved with
// [os.Root], so neither ".." nor a symlink in the archive or in DIR can lead
// outside it, and leading slashes are removed from names as GNU tar does.
// Existing files and links are replaced, and so is a non-folder where the
// archive has a folder (as GNU tar does); a folder where the archive has a
// file is an error. Modes (regardless of the umask) and modification times
// are set from the archive, and owners too when running as root, all through
// the open file rather than its path. Set-uid and set-gid bits are kept only
// when running as root; the sticky bit always is. GNU sparse files are
// refused rather than written out at their full size.
//
// It returns the exit status: 0, 1 for a failed extraction, 2 for bad usage.
func Tar(args []string, stdin io.Reader, stderr io.Writer) int {
	opts, err := parseTarArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "tar: %v\n", err)
		return 2
	}
	in := stdin
	if opts.file != "-" {
		f, err := os.Open(opts.file)
		if err != nil {
			fmt.Fprintf(stderr, "tar: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	if err := extract(in, opts.dir, os.Geteuid() == 0, stderr); err != nil {
		fmt.Fprintf(stderr, "tar: %v\n", err)
		return 1
	}
	return 0
}

type tarOptions struct {
	dir  string
	file string
}

// parseTarArgs reads the options of an extraction: -x, -f FILE, -C DIR, in
// any order, bundled (-xf -) or not, and the GNU long forms.
func parseTarArgs(args []string) (tarOptions, error) {
	o := tarOptions{dir: ".", file: "-"}
	extract := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func(name string) (string, error) {
			if i+1 >= len(args) {
				return "", fmt.Errorf("option %s needs a value", name)
			}
			i++
			return args[i], nil
		}
		var err error
		switch {
		case a == "--extract" || a == "--get":
			extract = true
		case strings.HasPrefix(a, "--file="):
			o.file = strings.TrimPrefix(a, "--file=")
		case a == "--file":
			o.file, err = value(a)
		case strings.HasPrefix(a, "--directory="):
			o.dir = strings.TrimPrefix(a, "--directory=")
		case a == "--directory":
			o.dir, err = value(a)
		case strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && len(a) > 1:
			for _, c := range a[1:] {
				switch c {
				case 'x':
					extract = true
				case 'f':
					o.file, err = value("-f")
				case 'C':
					o.dir, err = value("-C")
				case 'v', 'p', 'o':
					// verbose, same permissions, no same owner: the defaults here
				default:
					return o, fmt.Errorf("option -%c is not supported: this tar only extracts (-C DIR -x -f FILE)", c)
				}
				if err != nil {
					return o, err
				}
			}
		default:
			return o, fmt.Errorf("argument %q is not supported: this tar only extracts a whole archive (-C DIR -x -f FILE)", a)
		}
		if err != nil {
			return o, err
		}
	}
	if !extract {
		return o, errors.New("only extraction is supported: give -x")
	}
	return o, nil
}

// extractor writes an archive's entries under root.
type extractor struct {
	root   *os.Root
	asRoot bool // set owners and set-id bits
	stderr io.Writer
	// The leading slashes already reported, by what they were removed
	// from: GNU tar says it once for each.
	reported map[string]bool
}

// extract writes the archive's entries under dir.
func extract(r io.Reader, dir string, asRoot bool, stderr io.Writer) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	x := &extractor{root: root, asRoot: asRoot, stderr: stderr, reported: map[string]bool{}}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the archive: %w", err)
		}
		if err := x.extractEntry(hdr, tr); err != nil {
			return fmt.Errorf("%s: %w", hdr.Name, err)
		}
	}
}

func (x *extractor) extractEntry(hdr *tar.Header, r io.Reader) error {
	name, err := x.relative(hdr.Name, "member names")
	if err != nil || name == "." { // "." is the folder itself
		return err
	}
	if isSparse(hdr) {
		return errors.New("GNU sparse files are not supported: create the archive without --sparse (-S)")
	}
	parent, base := path.Split(name)
	if parent != "" {
		if err := x.root.MkdirAll(parent, 0o755); err != nil {
			return err
		}
	} else {
		parent = "."
	}
	// The entry is made and changed through its folder's descriptor and its
	// own, never through a path that a link swapped in meanwhile would
	// redirect.
	folder, err := x.root.Open(parent)
	if err != nil {
		return err
	}
	defer folder.Close()
	dirfd := int(folder.Fd())
	switch hdr.Typeflag {
	case tar.TypeDir:
		return x.makeDir(dirfd, base, hdr)
	case tar.TypeReg:
		return x.writeFile(dirfd, base, hdr, r)
	case tar.TypeSymlink:
		if err := replace(dirfd, base); err != nil {
			return err
		}
		if err := unix.Symlinkat(hdr.Linkname, dirfd, base); err != nil {
			return err
		}
		if x.asRoot {
			if err := unix.Fchownat(dirfd, base, hdr.Uid, hdr.Gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return err
			}
		}
		// Linux has no mode for a link, but it has times.
		return unix.UtimesNanoAt(dirfd, base, times(hdr), unix.AT_SYMLINK_NOFOLLOW)
	case tar.TypeLink:
		target, err := x.relative(hdr.Linkname, "hard link targets")
		if err != nil {
			return err
		}
		if err := replace(dirfd, base); err != nil {
			return err
		}
		// A second name for a file already extracted, which has its
		// owner, mode and times already.
		return x.root.Link(target, name)
	}
	return fmt.Errorf("entries of type %q are not supported (files, folders, symlinks and hard links are)", hdr.Typeflag)
}

// relative is an archive's name as a path under the folder: without its
// leading slashes, which it reports as GNU tar does ("Removing leading `/'
// from member names"), and refused if it leads out with "..".
func (x *extractor) relative(name, what string) (string, error) {
	rel := strings.TrimLeft(name, "/")
	if slashes := name[:len(name)-len(rel)]; slashes != "" && !x.reported[what+slashes] {
		x.reported[what+slashes] = true
		fmt.Fprintf(x.stderr, "tar: Removing leading `%s' from %s\n", slashes, what)
	}
	rel = path.Clean(rel)
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("%q leads out of the folder with ..", name)
	}
	return rel, nil
}

// isSparse tells whether hdr is a GNU sparse file, in the old format or in
// one of the PAX ones, which archive/tar would expand to its full size.
func isSparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for key := range hdr.PAXRecords {
		if strings.HasPrefix(key, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// makeDir makes the folder name in dirfd, replacing a file or a link that
// is there as GNU tar does, or keeps the folder that is there, and sets its
// owner, mode and times.
func (x *extractor) makeDir(dirfd int, name string, hdr *tar.Header) error {
	var st unix.Stat_t
	err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case err == nil && isDir(&st):
	case err == nil || errors.Is(err, unix.ENOENT):
		if err == nil {
			if err := unix.Unlinkat(dirfd, name, 0); err != nil {
				return fmt.Errorf("replacing the file there with a folder: %w", err)
			}
		}
		// Private until its mode is set.
		if err := unix.Mkdirat(dirfd, name, 0o700); err != nil {
			return err
		}
	default:
		return err
	}
	fd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	return x.setAttributes(fd, hdr)
}

// writeFile writes the file name in dirfd with the entry's content,
// replacing a file or a link that is there.
func (x *extractor) writeFile(dirfd int, name string, hdr *tar.Header, r io.Reader) error {
	if err := replace(dirfd, name); err != nil {
		return err
	}
	// O_EXCL: a link planted since replace is not followed but refused.
	fd, err := unix.Openat(dirfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(fd), name)
	_, err = io.Copy(f, r)
	if err == nil {
		err = x.setAttributes(fd, hdr)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// setAttributes sets the owner (as root), mode and times of the open file
// fd from hdr.
func (x *extractor) setAttributes(fd int, hdr *tar.Header) error {
	// hdr.Mode holds the archive's Unix bits (04000 set-uid, 02000 set-gid,
	// 01000 sticky), not an fs.FileMode.
	mode := uint32(hdr.Mode) & 0o7777
	if x.asRoot {
		if err := unix.Fchown(fd, hdr.Uid, hdr.Gid); err != nil {
			return err
		}
	} else {
		// Like GNU tar for a user other than root: an archive does not
		// get to make set-id programs of the user's.
		mode &^= unix.S_ISUID | unix.S_ISGID
	}
	// After chown, which clears set-id bits, and regardless of the umask.
	if err := unix.Fchmod(fd, mode); err != nil {
		return err
	}
	return futimens(fd, times(hdr))
}

// times are the access and modification times to give an entry: both its
// modification time, as before.
func times(hdr *tar.Header) []unix.Timespec {
	t := unix.NsecToTimespec(hdr.ModTime.UnixNano())
	return []unix.Timespec{t, t}
}

// futimens sets the times of the open file fd: utimensat with no path, as
// the C library's futimens does. (x/sys's Futimes goes through
// /proc/self/fd, which a container may not have.)
func futimens(fd int, ts []unix.Timespec) error {
	_, _, errno := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if errno != 0 {
		return errno
	}
	return nil
}

// replace removes what stands at name in dirfd unless it is a folder, so a
// file or link takes its place (as GNU tar does) instead of writing through
// a link.
func replace(dirfd int, name string) error {
	var st unix.Stat_t
	err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	if isDir(&st) {
		return errors.New("a folder is in the way")
	}
	return unix.Unlinkat(dirfd, name, 0)
}
