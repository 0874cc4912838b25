//go:build linux

package supervisor

import (
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/tilt-dev/restart-frontend/pkg/supervisor/internal/dirent"
)

// proc is one line of /proc/PID/stat, the fields we use.
type proc struct {
	pid, ppid, pgid, sid int
}

// generation finds the processes of the app's current generation in /proc.
//
// Not PID 1: the supervisor is a child subreaper, so every process the app
// starts stays its descendant, whatever it does (setsid, double fork): the
// generation is every descendant.
//
// PID 1: every process of the PID namespace descends from the supervisor,
// except those entered from outside (docker exec, kubectl exec, Tilt's tar
// and run steps): they have a parent outside the namespace, ppid 0. The
// generation is every process whose chain of parents reaches the supervisor
// without crossing such a process. Orphans are reparented to PID 1, so an
// orphan of an exec'd process looks like an orphan of the app; it is spared
// when its session is not the supervisor's and is either outside the
// namespace (sid 0) or led by a live exec'd process. An orphan of an exec'd
// process whose session leader is gone is indistinguishable from a daemon of
// the app, and is stopped with the app.
type generation struct {
	self    int
	selfSid int
	pid1    bool
	ok      bool // /proc is this PID namespace's
	tree    bool // not PID 1, and /proc has children lists: scanTree
	procs   []proc
	queue   []int
	index   map[int]int
	buf     []byte
	members []proc
}

func newGeneration() *generation {
	g := &generation{
		self:  os.Getpid(),
		pid1:  os.Getpid() == 1,
		index: make(map[int]int),
		buf:   make([]byte, 1024),
	}
	g.selfSid, _ = unix.Getsid(0)
	// /proc/self names this process by its PID in the namespace of /proc's
	// mount; it differs from Getpid when /proc belongs to another namespace
	// (unshare --pid without --mount-proc), and then /proc cannot tell us
	// who is who.
	if s, err := os.Readlink("/proc/self"); err == nil && s == strconv.Itoa(g.self) {
		g.ok = true
	}
	// A subreaper's generation is its descendants: the children lists of
	// /proc (CONFIG_PROC_CHILDREN) find them without reading every process
	// of the host.
	self := strconv.Itoa(g.self)
	if fd, err := unix.Open("/proc/"+self+"/task/"+self+"/children", unix.O_RDONLY|unix.O_CLOEXEC, 0); err == nil {
		unix.Close(fd)
		g.tree = g.ok && !g.pid1
	}
	return g
}

// scanTree returns the descendants of the supervisor, following the
// children lists of every thread.
func (g *generation) scanTree() ([]proc, bool) {
	g.members = g.members[:0]
	queue := append(g.queue[:0], g.self)
	for len(queue) > 0 {
		pid := strconv.Itoa(queue[0])
		queue = queue[1:]
		var tids []string
		if dirent.Read("/proc/"+pid+"/task", func(name string, _ uint8) { tids = append(tids, name) }) != nil {
			continue // it exited
		}
		for _, tid := range tids {
			// "pid pid ... ": the empty field after the last space fails
			// Atoi and is skipped. (strings.Fields would link Unicode tables
			// into every image: 8 KB.)
			list := g.readAll("/proc/" + pid + "/task/" + tid + "/children")
			for _, f := range strings.Split(list, " ") {
				child, err := strconv.Atoi(f)
				if err != nil {
					continue
				}
				if p, ok := g.readStat(child); ok {
					g.members = append(g.members, p)
					queue = append(queue, child)
				}
			}
		}
	}
	g.queue = queue
	return g.members, true
}

// readAll reads a file of any size.
func (g *generation) readAll(name string) string {
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return ""
	}
	defer unix.Close(fd)
	var b []byte
	for {
		n, err := unix.Read(fd, g.buf)
		if n <= 0 || err != nil {
			return string(b)
		}
		b = append(b, g.buf[:n]...)
	}
}

// readFile reads a small file into g.buf and returns its length.
func (g *generation) readFile(name string) int {
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0
	}
	defer unix.Close(fd)
	n, err := unix.Read(fd, g.buf)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// scan returns the members of the generation, or ok=false when /proc cannot
// tell. A quick scan may use the children lists, which can miss a process
// being reparented during the walk: it is good enough to spread a stop
// signal, not to send the last SIGKILL.
func (g *generation) scan(quick bool) ([]proc, bool) {
	if !g.ok {
		return nil, false
	}
	if quick && g.tree {
		return g.scanTree()
	}
	var names []string
	if dirent.Read("/proc", func(name string, _ uint8) { names = append(names, name) }) != nil {
		return nil, false
	}
	g.procs = g.procs[:0]
	clear(g.index)
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil || pid == g.self {
			continue
		}
		if p, ok := g.readStat(pid); ok {
			g.index[pid] = len(g.procs)
			g.procs = append(g.procs, p)
		}
	}
	g.members = g.members[:0]
	for _, p := range g.procs {
		if g.member(p) {
			g.members = append(g.members, p)
		}
	}
	return g.members, true
}

// member reports whether p belongs to the generation.
func (g *generation) member(p proc) bool {
	cur := p
	for range len(g.procs) + 1 {
		switch cur.ppid {
		case g.self:
			return !g.spared(cur)
		case 0:
			return false // entered from outside the namespace, or the host's init
		}
		i, ok := g.index[cur.ppid]
		if !ok {
			return false // the parent vanished during the scan
		}
		cur = g.procs[i]
	}
	return false // a cycle: the scan raced with reparenting
}

// spared reports whether a child of the supervisor is an orphan of an exec'd
// process rather than a process of the app.
func (g *generation) spared(c proc) bool {
	if !g.pid1 || c.sid == g.selfSid {
		return false
	}
	if c.sid == 0 {
		return true
	}
	i, ok := g.index[c.sid]
	return ok && g.procs[i].ppid == 0
}

// readStat parses pid, ppid, pgrp and session out of /proc/PID/stat.
func (g *generation) readStat(pid int) (proc, bool) {
	n := g.readFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if n <= 0 {
		return proc{}, false
	}
	return parseStat(pid, g.buf[:n])
}

// parseStat parses "pid (comm) S ppid pgrp session ...". comm may hold
// spaces and parentheses: the fields start after the last ')'.
func parseStat(pid int, b []byte) (proc, bool) {
	end := -1
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == ')' {
			end = i
			break
		}
	}
	if end < 0 {
		return proc{}, false
	}
	var f [4]int // state (skipped), ppid, pgrp, session
	field, i := 0, end+1
	for field < 4 && i < len(b) {
		for i < len(b) && b[i] == ' ' {
			i++
		}
		start := i
		for i < len(b) && b[i] != ' ' {
			i++
		}
		if field > 0 {
			v, err := strconv.Atoi(string(b[start:i]))
			if err != nil {
				return proc{}, false
			}
			f[field] = v
		}
		field++
	}
	if field < 4 {
		return proc{}, false
	}
	return proc{pid: pid, ppid: f[1], pgid: f[2], sid: f[3]}, true
}
