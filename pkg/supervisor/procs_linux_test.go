//go:build linux

package supervisor

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

func TestParseStat(t *testing.T) {
	p, ok := parseStat(42, []byte("42 (a b) c)) S 7 42 3 34816 42 4194560 113 0 0 0\n"))
	if !ok || p != (proc{pid: 42, ppid: 7, pgid: 42, sid: 3}) {
		t.Errorf("got %+v, %v", p, ok)
	}
	for _, bad := range []string{"", "42 (x", "42 (x) S 1", "42 (x) S a b c"} {
		if p, ok := parseStat(42, []byte(bad)); ok {
			t.Errorf("parseStat(%q) = %+v", bad, p)
		}
	}
}

func TestGenerationMembers(t *testing.T) {
	build := func(self, selfSid int, pid1 bool, procs ...proc) *generation {
		g := &generation{self: self, selfSid: selfSid, pid1: pid1, index: map[int]int{}}
		for i, p := range procs {
			g.index[p.pid] = i
		}
		g.procs = procs
		return g
	}
	type want struct {
		pid    int
		member bool
		why    string
	}
	t.Run("as PID 1", func(t *testing.T) {
		g := build(1, 1, true,
			proc{pid: 10, ppid: 1, pgid: 10, sid: 1},  // the app's leader
			proc{pid: 11, ppid: 10, pgid: 10, sid: 1}, // a worker
			proc{pid: 12, ppid: 1, pgid: 12, sid: 12}, // a setsid'd daemon, orphaned
			proc{pid: 13, ppid: 1, pgid: 99, sid: 99}, // a double-forked daemon
			proc{pid: 20, ppid: 0, pgid: 20, sid: 20}, // docker exec
			proc{pid: 21, ppid: 20, pgid: 20, sid: 20},
			proc{pid: 22, ppid: 1, pgid: 22, sid: 20},  // orphan of a live exec session
			proc{pid: 23, ppid: 1, pgid: 0, sid: 0},    // orphan of a session outside
			proc{pid: 30, ppid: 31, pgid: 30, sid: 30}, // parent vanished mid-scan
		)
		for _, w := range []want{
			{10, true, "leader"}, {11, true, "worker"}, {12, true, "setsid'd daemon"}, {13, true, "double-forked daemon"},
			{20, false, "exec'd"}, {21, false, "child of exec'd"}, {22, false, "orphan of a live exec session"},
			{23, false, "orphan of a session outside"}, {30, false, "unknown parent"},
		} {
			if got := g.member(g.procs[g.index[w.pid]]); got != w.member {
				t.Errorf("%s (%d): member %v, want %v", w.why, w.pid, got, w.member)
			}
		}
	})
	t.Run("as PID 1 outside of the session's namespace", func(t *testing.T) {
		// Not a session leader (unshare --fork without setsid): the app's
		// processes share the invisible session 0.
		g := build(1, 0, true, proc{pid: 13, ppid: 1, pgid: 0, sid: 0})
		if !g.member(g.procs[0]) {
			t.Error("an orphan of our own session is not spared")
		}
	})
	t.Run("as a subreaper", func(t *testing.T) {
		g := build(500, 400, false,
			proc{pid: 1, ppid: 0, pgid: 1, sid: 1},
			proc{pid: 501, ppid: 500, pgid: 501, sid: 400},
			proc{pid: 502, ppid: 501, pgid: 502, sid: 502},
			proc{pid: 503, ppid: 500, pgid: 0, sid: 0}, // reparented to us
			proc{pid: 600, ppid: 1, pgid: 600, sid: 600},
			proc{pid: 700, ppid: 701, pgid: 700, sid: 1},
			proc{pid: 701, ppid: 700, pgid: 700, sid: 1}, // a cycle (a racy scan)
		)
		for _, w := range []want{{1, false, "init"}, {501, true, "child"}, {502, true, "grandchild"}, {503, true, "orphan"}, {600, false, "stranger"}, {700, false, "cycle"}} {
			if got := g.member(g.procs[g.index[w.pid]]); got != w.member {
				t.Errorf("%s (%d): member %v, want %v", w.why, w.pid, got, w.member)
			}
		}
	})
}

// TestGenerationScan compares both scans on a real tree: this process (not
// PID 1) with a child and a grandchild.
func TestGenerationScan(t *testing.T) {
	g := newGeneration()
	if !g.ok {
		t.Skip("/proc is not this PID namespace's")
	}
	cmd := exec.Command("sh", "-c", "sleep 100 & echo $!; exec sleep 100")
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var line [32]byte
	n, _ := out.Read(line[:])
	grandchild, _ := strconv.Atoi(strings.TrimSpace(string(line[:n])))
	defer syscall.Kill(grandchild, syscall.SIGKILL)
	pids := func(quick bool) map[int]bool {
		members, ok := g.scan(quick)
		if !ok {
			t.Fatal("scan failed")
		}
		set := map[int]bool{}
		for _, m := range members {
			set[m.pid] = true
		}
		return set
	}
	for _, quick := range []bool{false, true} {
		if quick && !g.tree {
			continue
		}
		set := pids(quick)
		if !set[cmd.Process.Pid] || !set[grandchild] || set[os.Getpid()] {
			t.Errorf("quick=%v: members %v, want the child %d and grandchild %d", quick, set, cmd.Process.Pid, grandchild)
		}
	}
}
