//go:build linux

package dirent

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Types of entries, as in struct linux_dirent64.
const (
	Unknown = unix.DT_UNKNOWN // the file system does not say: lstat it
	Dir     = unix.DT_DIR
)

// Read calls fn for each entry of dir but "." and "..", with its d_type.
func Read(dir string, fn func(name string, typ uint8)) error {
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	buf := make([]byte, 8192)
	for {
		n, err := unix.ReadDirent(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n <= 0 {
			return nil
		}
		parse(buf[:n], fn)
	}
}

// parse walks struct linux_dirent64 records: d_ino (8 bytes), d_off (8),
// d_reclen (2), d_type (1), d_name (NUL-terminated). The layout is the same
// on every architecture.
func parse(b []byte, fn func(name string, typ uint8)) {
	for len(b) >= 19 {
		reclen := int(*(*uint16)(unsafe.Pointer(&b[16]))) // records are 8-byte aligned
		if reclen < 19 || reclen > len(b) {
			return
		}
		typ := b[18]
		name := b[19:reclen]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		if s := string(name); s != "." && s != ".." {
			fn(s, typ)
		}
		b = b[reclen:]
	}
}
