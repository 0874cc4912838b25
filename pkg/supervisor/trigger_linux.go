//go:build linux

package supervisor

import (
	"errors"
	"os"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// maxStamp is how much of the trigger the supervisor reads: a request's
// stamp is 20 bytes. The rest, whatever its size, is never read.
const maxStamp = 64

// readStamp reads the start of the trigger in p for its request stamp,
// within PID 1's event loop, so it cannot hang or grow: it does not follow a
// symbolic link (a writable trigger folder, such as an emptyDir, lets anyone
// plant one to /dev/zero or a FIFO), opens without blocking, reads only a
// regular file, and reads at most maxStamp bytes.
func readStamp(p string) ([]byte, error) {
	fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, unix.EINVAL
	}
	buf := make([]byte, maxStamp)
	n, err := unix.Read(fd, buf)
	if err != nil {
		return nil, err
	}
	return buf[:n], nil
}

// touchTrigger writes the current time to the trigger file. An existing file
// is opened without O_CREAT: with fs.protected_regular, creating-opens of a
// file owned by another user in a sticky directory (/tmp) fail even when the
// file is writable. A missing file is created 0666.
//
// It writes through no symbolic link and into nothing but a regular file:
// restart often runs as root, and a link planted in a writable trigger
// folder would make it write wherever the link points. O_NONBLOCK keeps a
// FIFO planted there from blocking the open.
//
// The time is the request's stamp for restart --wait (status.go), so it is
// written over the old content and the rest is cut after: with O_TRUNC the
// truncation would be the change the supervisor acts on, and it would read
// the file before the stamp is in it.
func touchTrigger(p string, now time.Time) error {
	data := []byte(strconv.FormatInt(now.UnixNano(), 10) + "\n")
	const flags = unix.O_WRONLY | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC | unix.O_NOCTTY
	fd, err := unix.Open(p, flags, 0)
	if err == unix.ENOENT {
		fd, err = unix.Open(p, flags|unix.O_CREAT|unix.O_EXCL, 0o666)
		if err == nil {
			_ = unix.Fchmod(fd, 0o666) // past the umask
		} else if err == unix.EEXIST {
			fd, err = unix.Open(p, flags, 0)
		}
	}
	switch {
	case err == unix.ELOOP:
		return &os.PathError{Op: "open", Path: p, Err: errTriggerLink}
	case err != nil:
		return &os.PathError{Op: "open", Path: p, Err: err}
	}
	defer unix.Close(fd)
	// Checked on the descriptor, not the path, which may change meanwhile;
	// and without os.File.Stat, which would link time's formatting code.
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return &os.PathError{Op: "stat", Path: p, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return &os.PathError{Op: "open", Path: p, Err: errTriggerNotFile}
	}
	n, err := unix.Write(fd, data)
	if err == nil && n != len(data) {
		err = unix.EIO
	}
	if err == nil {
		err = unix.Ftruncate(fd, int64(len(data)))
	}
	if err != nil {
		return &os.PathError{Op: "write", Path: p, Err: err}
	}
	return nil
}

var (
	errTriggerLink    = errors.New("it is a symbolic link; the trigger must be a file, and restart writes through no link")
	errTriggerNotFile = errors.New("it is not a regular file")
)
