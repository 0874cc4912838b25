//go:build linux

package watch

import (
	"time"

	"golang.org/x/sys/unix"

	"github.com/tilt-dev/restart-frontend/pkg/supervisor/internal/dirent"
)

// stamp identifies one state of the trigger file.
type stamp struct {
	exists       bool
	ino, size    int64
	mtime, ctime int64
}

func statTrigger(p string) stamp {
	var st unix.Stat_t
	if err := unix.Stat(p, &st); err != nil {
		return stamp{}
	}
	return stamp{
		exists: true,
		ino:    int64(st.Ino),
		size:   st.Size,
		mtime:  st.Mtim.Nano(),
		ctime:  st.Ctim.Nano(),
	}
}

// change words the difference between two stamps; "" if none that counts.
func (s stamp) change(prev stamp) string {
	switch {
	case !s.exists || s == prev:
		return "" // a removal alone restarts nothing
	case !prev.exists:
		return "create"
	case s.ino != prev.ino:
		return "replaced"
	case s.size != prev.size || s.mtime != prev.mtime:
		return "write"
	default:
		return "touch"
	}
}

// fingerprint summarises a tree: the number of entries and the sum of a hash
// of each entry's path, type, size, times and inode. The sum does not depend
// on the order of directory listings.
type fingerprint struct {
	n   int
	sum uint64
}

// treeFingerprint hashes the tree under root, leaving out the trigger file,
// which has its own stamp.
func treeFingerprint(root, trigger string) fingerprint {
	var fp fingerprint
	walk(root, trigger, &fp)
	return fp
}

func walk(dir, trigger string, fp *fingerprint) {
	var names []string
	_ = dirent.Read(dir, func(name string, _ uint8) { names = append(names, name) })
	for _, name := range names {
		p := join(dir, name)
		if p == trigger {
			continue
		}
		var st unix.Stat_t
		if unix.Lstat(p, &st) != nil {
			continue
		}
		h := fnv(p)
		for _, v := range [...]uint64{uint64(st.Mode), uint64(st.Size), uint64(st.Mtim.Nano()), uint64(st.Ctim.Nano()), uint64(st.Ino)} {
			h = (h ^ v) * fnvPrime
		}
		fp.n++
		fp.sum += h
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			walk(p, trigger, fp)
		}
	}
}

const fnvPrime = 1099511628211

func fnv(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return h
}

// poller compares stamps and fingerprints at every tick.
type poller struct {
	stop chan struct{}
}

func startPoller(trigger string, roots []string, interval time.Duration, raw chan<- batch) backend {
	p := &poller{stop: make(chan struct{})}
	trig := statTrigger(trigger)
	fps := make([]fingerprint, len(roots))
	for i, r := range roots {
		fps[i] = treeFingerprint(r, trigger)
	}
	go func() {
		for {
			time.Sleep(interval)
			select {
			case <-p.stop:
				return
			default:
			}
			var out batch
			cur := statTrigger(trigger)
			out.trigger = cur.change(trig)
			trig = cur
			for i, r := range roots {
				if fp := treeFingerprint(r, trigger); fp != fps[i] {
					fps[i] = fp
					out.n++
					if out.path == "" {
						out.path = r
					}
				}
			}
			if out.trigger == "" && out.n == 0 {
				continue
			}
			select {
			case raw <- out:
			case <-p.stop:
				return
			}
		}
	}()
	return p
}

func (p *poller) close() { close(p.stop) }

// pending is false: a poll sees changes only at its ticks, which the
// debouncer's quiet window already spans.
func (p *poller) pending() bool { return false }
