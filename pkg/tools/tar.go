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
	"io/fs"
	"os"
	"path"
	"strings"
)

// Tar extracts a tar archive the way `tar -C DIR -x -f FILE` does, with FILE
// "-" for stdin. Every entry stays inside DIR: paths are resolved with
// [os.Root], so neither ".." nor a symlink in the archive or in DIR can lead
// outside it. Existing files are replaced; modes and modification times are
// set from the archive, and owners too when running as root.
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
	if err := extract(in, opts.dir); err != nil {
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

// extract writes the archive's entries under dir.
func extract(r io.Reader, dir string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	asRoot := os.Geteuid() == 0
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the archive: %w", err)
		}
		name := path.Clean(strings.TrimPrefix(hdr.Name, "/"))
		if name == "." {
			continue // the folder itself
		}
		if err := extractEntry(root, name, hdr, tr, asRoot); err != nil {
			return fmt.Errorf("%s: %w", hdr.Name, err)
		}
	}
}

func extractEntry(root *os.Root, name string, hdr *tar.Header, r io.Reader, asRoot bool) error {
	mode := fs.FileMode(hdr.Mode).Perm() | fs.FileMode(hdr.Mode)&(fs.ModeSetuid|fs.ModeSetgid|fs.ModeSticky)
	if parent := path.Dir(name); parent != "." {
		if err := root.MkdirAll(parent, 0o755); err != nil {
			return err
		}
	}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := root.Mkdir(name, mode.Perm()); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	case tar.TypeReg:
		if err := replace(root, name); err != nil {
			return err
		}
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode.Perm())
		if err != nil {
			return err
		}
		_, err = io.Copy(f, r)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	case tar.TypeSymlink:
		if err := replace(root, name); err != nil {
			return err
		}
		return root.Symlink(hdr.Linkname, name) // a link has no mode or time to set
	case tar.TypeLink:
		if err := replace(root, name); err != nil {
			return err
		}
		return root.Link(path.Clean(strings.TrimPrefix(hdr.Linkname, "/")), name)
	default:
		return fmt.Errorf("entries of type %q are not supported (files, folders, symlinks and hard links are)", hdr.Typeflag)
	}
	if asRoot {
		if err := root.Lchown(name, hdr.Uid, hdr.Gid); err != nil {
			return err
		}
	}
	// After chown, which clears set-id bits, and regardless of the umask.
	if err := root.Chmod(name, mode); err != nil {
		return err
	}
	return root.Chtimes(name, hdr.ModTime, hdr.ModTime)
}

// replace removes what stands at name unless it is a folder, so a file or
// link takes its place (as GNU tar does) instead of writing through a link.
func replace(root *os.Root, name string) error {
	fi, err := root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("a folder is in the way")
	}
	return root.Remove(name)
}
