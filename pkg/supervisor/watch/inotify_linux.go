//go:build linux

package watch

import (
	"errors"
	"os"
	"path"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/tilt-dev/restart-frontend/pkg/supervisor/internal/dirent"
)

const (
	// triggerMask watches the trigger's parent directory.
	triggerMask = unix.IN_MODIFY | unix.IN_ATTRIB | unix.IN_CLOSE_WRITE | unix.IN_CREATE |
		unix.IN_MOVED_TO | unix.IN_DELETE | unix.IN_MOVED_FROM |
		unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_EXCL_UNLINK
	// treeMask watches each directory of a watched tree. IN_MODIFY keeps the
	// debouncer waiting while a large file is being written.
	treeMask = unix.IN_MODIFY | unix.IN_ATTRIB | unix.IN_CLOSE_WRITE | unix.IN_CREATE |
		unix.IN_DELETE | unix.IN_MOVED_FROM | unix.IN_MOVED_TO |
		unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_EXCL_UNLINK | unix.IN_ONLYDIR
)

// dirWatch is one inotify watch: the trigger's directory, a directory of a
// watched tree, or both.
type dirWatch struct {
	path string
	root string // the tree it belongs to; "" if none
	trig bool   // the trigger's parent directory
}

// inotifyBackend reads one inotify instance in one goroutine, which owns all
// of its state.
type inotifyBackend struct {
	f        *os.File
	fd       int
	trigger  string
	trigDir  string
	trigBase string
	dirs     map[int32]*dirWatch
	wds      map[string]int32
	filter   triggerFilter
	lastPath string // the last changed path in a watched tree
	raw      chan<- batch
	stop     chan struct{}
	busy     atomic.Bool // a read's events are being parsed and sent
}

func startInotify(trigger string, roots []string, raw chan<- batch) (*inotifyBackend, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, errors.New("inotify_init1: " + err.Error())
	}
	b := &inotifyBackend{
		fd:       fd,
		trigger:  trigger,
		trigDir:  path.Dir(trigger),
		trigBase: path.Base(trigger),
		dirs:     make(map[int32]*dirWatch),
		wds:      make(map[string]int32),
		raw:      raw,
		stop:     make(chan struct{}),
	}
	if err := b.add(b.trigDir, triggerMask, "", true); err != nil {
		unix.Close(fd)
		return nil, errors.New("cannot watch the trigger's directory " + b.trigDir + ": " + err.Error())
	}
	for _, r := range roots {
		if _, err := b.addTree(r, r); err != nil {
			unix.Close(fd)
			return nil, errors.New("cannot watch " + r + ": " + err.Error())
		}
	}
	// A non-blocking descriptor joins Go's netpoller: reads park the
	// goroutine, not a thread, and Close interrupts them.
	b.f = os.NewFile(uintptr(fd), "inotify")
	go b.read()
	return b, nil
}

// pending reports events in the kernel's queue, or read and not yet sent.
func (b *inotifyBackend) pending() bool {
	if b.busy.Load() {
		return true
	}
	n, err := unix.IoctlGetInt(b.fd, unix.TIOCINQ) // FIONREAD
	return err == nil && n > 0
}

func (b *inotifyBackend) close() {
	close(b.stop)
	b.f.Close()
}

// add adds (or extends, with IN_MASK_ADD) a watch on dir.
func (b *inotifyBackend) add(dir string, mask uint32, root string, trig bool) error {
	wd, err := unix.InotifyAddWatch(b.fd, dir, mask|unix.IN_MASK_ADD)
	if err != nil {
		return err
	}
	w := b.dirs[int32(wd)]
	if w == nil || w.path != dir {
		w = &dirWatch{path: dir}
		b.dirs[int32(wd)] = w
	}
	if root != "" {
		w.root = root
	}
	w.trig = w.trig || trig
	b.wds[dir] = int32(wd)
	return nil
}

// addTree watches dir and its subdirectories and returns how many entries it
// found in them. Subdirectories that vanish or cannot be read are skipped;
// running out of watches is an error.
func (b *inotifyBackend) addTree(dir, root string) (int, error) {
	mask := uint32(treeMask)
	if dir != root {
		mask |= unix.IN_DONT_FOLLOW
	}
	if err := b.add(dir, mask, root, false); err != nil {
		if dir != root && (err == unix.ENOENT || err == unix.ENOTDIR || err == unix.EACCES) {
			return 0, nil
		}
		return 0, err
	}
	n := 0
	var subdirs []string
	_ = dirent.Read(dir, func(name string, typ uint8) {
		n++
		p := join(dir, name)
		if typ == dirent.Dir || (typ == dirent.Unknown && isDir(p)) {
			subdirs = append(subdirs, p)
		}
	})
	for _, sub := range subdirs {
		m, err := b.addTree(sub, root)
		if err != nil {
			return n, err
		}
		n += m
	}
	return n, nil
}

func isDir(p string) bool {
	var st unix.Stat_t
	return unix.Lstat(p, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR
}

// forget removes the watches of dir and of everything under it.
func (b *inotifyBackend) forget(dir string) {
	for p, wd := range b.wds {
		if p == dir || strings.HasPrefix(p, dir+"/") {
			unix.InotifyRmWatch(b.fd, uint32(wd))
			delete(b.wds, p)
			delete(b.dirs, wd)
		}
	}
}

func (b *inotifyBackend) read() {
	buf := make([]byte, 16*1024)
	for {
		n, err := b.f.Read(buf)
		if err != nil {
			select {
			case <-b.stop:
			default:
				b.send(batch{fallback: errors.New("reading inotify: " + err.Error())})
			}
			return
		}
		b.busy.Store(true)
		out := b.parse(buf[:n], time.Since(epoch))
		if out.trigger != "" || out.path != "" || out.fallback != nil {
			if !b.send(out) || out.fallback != nil {
				return
			}
		}
		b.busy.Store(false)
	}
}

func (b *inotifyBackend) send(out batch) bool {
	select {
	case b.raw <- out:
		return true
	case <-b.stop:
		return false
	}
}

// parse turns one read's worth of events into one batch.
func (b *inotifyBackend) parse(buf []byte, now time.Duration) batch {
	var out batch
	for off := 0; off+unix.SizeofInotifyEvent <= len(buf); {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
		nameLen := int(ev.Len)
		start := off + unix.SizeofInotifyEvent
		off = start + nameLen
		if off > len(buf) {
			break
		}
		name := string(trimNUL(buf[start:off]))
		b.event(&out, ev.Wd, ev.Mask, name, now)
		if out.fallback != nil {
			return out
		}
	}
	return out
}

// event handles one inotify event.
func (b *inotifyBackend) event(out *batch, wd int32, mask uint32, name string, now time.Duration) {
	if mask&unix.IN_Q_OVERFLOW != 0 {
		// Events were lost: the trigger may have changed, and directories
		// may have appeared without their watch.
		if out.trigger == "" {
			out.trigger = "inotify queue overflow"
		}
		for _, w := range b.dirs {
			if w.root != "" && w.path == w.root {
				b.addTree(w.root, w.root)
			}
		}
		return
	}
	w := b.dirs[wd]
	if w == nil {
		return
	}
	if mask&unix.IN_IGNORED != 0 {
		delete(b.dirs, wd)
		if b.wds[w.path] == wd {
			delete(b.wds, w.path)
		}
		if w.trig || (w.root != "" && w.path == w.root) {
			out.fallback = errors.New("watched directory " + w.path + " was removed")
		}
		return
	}
	if name == "" && mask&unix.IN_MOVE_SELF != 0 && (w.trig || w.path == w.root) {
		out.fallback = errors.New("watched directory " + w.path + " was moved")
		return
	}
	if w.trig && name == b.trigBase {
		if kind, fire := b.filter.event(mask, now); fire && out.trigger == "" {
			out.trigger = kind
		}
	}
	if w.root == "" {
		return
	}
	p := w.path
	if name != "" {
		p = join(w.path, name)
	}
	if p == b.trigger {
		return
	}
	// Count changed files, not events: the events of one file (create,
	// modify, close, attrib of a tar extraction) come one after the other.
	if p != b.lastPath {
		out.n++
		b.lastPath = p
	}
	if out.path == "" {
		out.path = p
	}
	if mask&unix.IN_ISDIR != 0 && name != "" {
		switch {
		case mask&(unix.IN_CREATE|unix.IN_MOVED_TO) != 0:
			// Entries made before the watch was added count as changes.
			n, err := b.addTree(p, w.root)
			out.n += n
			if err != nil {
				out.fallback = errors.New("cannot watch " + p + ": " + err.Error())
			}
		case mask&unix.IN_MOVED_FROM != 0:
			b.forget(p)
		}
	}
}

// triggerFilter makes one trigger out of the events of one change of the
// trigger file: a write is IN_MODIFY (truncation), IN_MODIFY (data) and
// IN_CLOSE_WRITE; a touch is IN_ATTRIB and IN_CLOSE_WRITE; a creation is
// IN_CREATE, IN_MODIFY and IN_CLOSE_WRITE. The first event fires; the others
// of the same open file are absorbed, up to its close. An episode whose close
// does not come (a writer that keeps the file open) stops absorbing after a
// second. A touch by path (utimensat, busybox) is a lone IN_ATTRIB: it always
// fires, unless a write is in progress.
type triggerFilter struct {
	open   bool          // a write or creation fired and its close has not arrived
	attrib bool          // a touch fired: absorb the close of its file, if any
	since  time.Duration // when the episode began, on a monotonic clock
}

const episodeMax = time.Second

func (f *triggerFilter) event(mask uint32, now time.Duration) (kind string, fire bool) {
	recent := now-f.since < episodeMax
	switch {
	case mask&unix.IN_CREATE != 0:
		f.open, f.attrib, f.since = true, false, now
		return "create", true
	case mask&unix.IN_MOVED_TO != 0:
		f.open, f.attrib = false, false
		return "rename", true
	case mask&unix.IN_MODIFY != 0:
		if f.open && recent {
			return "", false
		}
		f.open, f.since = true, now
		return "write", true
	case mask&unix.IN_ATTRIB != 0:
		if f.open && recent {
			return "", false
		}
		f.attrib, f.since = true, now
		return "touch", true
	case mask&unix.IN_CLOSE_WRITE != 0:
		absorbed := f.open || f.attrib
		f.open, f.attrib = false, false
		if absorbed {
			return "", false
		}
		return "write", true
	case mask&(unix.IN_DELETE|unix.IN_MOVED_FROM) != 0:
		f.open, f.attrib = false, false
	}
	return "", false
}

func trimNUL(b []byte) []byte {
	for i, c := range b {
		if c == 0 {
			return b[:i]
		}
	}
	return b
}
