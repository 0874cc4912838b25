//go:build linux

package watch

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tilt-dev/restart-frontend/test/testfs"
)

// hang guards only: no test asserts on timing.
const hangGuard = 20 * time.Second

func TestTriggerFilter(t *testing.T) {
	ms := time.Millisecond
	type ev struct {
		mask uint32
		at   time.Duration
	}
	tests := []struct {
		name  string
		evs   []ev
		fires []string
	}{
		{"a write is one trigger", []ev{{unix.IN_MODIFY, 0}, {unix.IN_MODIFY, ms}, {unix.IN_CLOSE_WRITE, 2 * ms}}, []string{"write"}},
		{"two writes are two triggers", []ev{{unix.IN_MODIFY, 0}, {unix.IN_CLOSE_WRITE, ms}, {unix.IN_MODIFY, 2 * ms}, {unix.IN_CLOSE_WRITE, 3 * ms}}, []string{"write", "write"}},
		{"a touch is one trigger", []ev{{unix.IN_ATTRIB, 0}, {unix.IN_CLOSE_WRITE, ms}}, []string{"touch"}},
		{"touches by path are one trigger each", []ev{{unix.IN_ATTRIB, 0}, {unix.IN_ATTRIB, ms}}, []string{"touch", "touch"}},
		{"a chmod does not swallow the next write", []ev{{unix.IN_ATTRIB, 0}, {unix.IN_MODIFY, ms}, {unix.IN_CLOSE_WRITE, 2 * ms}}, []string{"touch", "write"}},
		{"a creation is one trigger", []ev{{unix.IN_CREATE, 0}, {unix.IN_ATTRIB, ms}, {unix.IN_MODIFY, ms}, {unix.IN_CLOSE_WRITE, 2 * ms}}, []string{"create"}},
		{"a rename is one trigger", []ev{{unix.IN_MOVED_TO, 0}}, []string{"rename"}},
		{"a removal is none", []ev{{unix.IN_DELETE, 0}, {unix.IN_MOVED_FROM, ms}}, nil},
		{"an open and close without write is a trigger", []ev{{unix.IN_CLOSE_WRITE, 0}}, []string{"write"}},
		{"a file kept open triggers again after a second", []ev{{unix.IN_MODIFY, 0}, {unix.IN_MODIFY, 500 * ms}, {unix.IN_MODIFY, 1500 * ms}}, []string{"write", "write"}},
		{"a slow close is still absorbed", []ev{{unix.IN_MODIFY, 0}, {unix.IN_CLOSE_WRITE, 3 * time.Second}}, []string{"write"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f triggerFilter
			var got []string
			for _, e := range tt.evs {
				if kind, fire := f.event(e.mask, time.Hour+e.at); fire {
					got = append(got, kind)
				}
			}
			if strings.Join(got, ",") != strings.Join(tt.fires, ",") {
				t.Errorf("fired %q, want %q", got, tt.fires)
			}
		})
	}
}

// harness runs a Watcher and records its events.
type harness struct {
	t       *testing.T
	dir     string
	trigger string
	w       *Watcher
	out     chan Event
	mu      sync.Mutex
	logs    []string
}

func startHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	h := &harness{t: t, out: make(chan Event, 1)}
	if opts.Trigger == "" {
		h.dir = t.TempDir()
		opts.Trigger = filepath.Join(h.dir, "trigger")
		if err := os.WriteFile(opts.Trigger, []byte("0\n"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	h.trigger = opts.Trigger
	opts.Log = func(msg string) {
		h.mu.Lock()
		h.logs = append(h.logs, msg)
		h.mu.Unlock()
	}
	w, err := Start(opts, h.out)
	if err != nil {
		t.Fatal(err)
	}
	h.w = w
	t.Cleanup(w.Close)
	return h
}

// next returns the next event.
func (h *harness) next() string {
	h.t.Helper()
	select {
	case ev := <-h.out:
		return ev.Reason
	case <-time.After(hangGuard):
		h.t.Fatal("no event")
		return ""
	}
}

// expect waits for the next event and checks it contains want.
func (h *harness) expect(want string) {
	h.t.Helper()
	if got := h.next(); !strings.Contains(got, want) {
		h.t.Errorf("event %q, want one containing %q", got, want)
	}
}

// marker renames a file onto the trigger: exactly one event, queued after
// every event of what came before. Expecting it next proves that the
// previous change made no extra event.
func (h *harness) marker() {
	h.t.Helper()
	tmp := filepath.Join(filepath.Dir(h.trigger), ".marker-tmp")
	if err := os.WriteFile(tmp, []byte("marker"), 0o666); err != nil {
		h.t.Fatal(err)
	}
	if err := os.Rename(tmp, h.trigger); err != nil {
		h.t.Fatal(err)
	}
	h.expect("changed (rename)")
}

func (h *harness) logged(s string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, l := range h.logs {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, out)
	}
}

func TestInotifyTriggerKinds(t *testing.T) {
	kinds := []struct {
		name   string
		change func(t *testing.T, p string)
		want   string
	}{
		{"write", func(t *testing.T, p string) { testfs.WriteFile(t, p, []byte("x\n"), 0o666) }, "(write)"},
		{"shell redirection", func(t *testing.T, p string) { run(t, "sh", "-c", "date > "+p) }, "(write)"},
		{"append", func(t *testing.T, p string) {
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteString("more\n"); err != nil {
				t.Fatal(err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
		}, "(write)"},
		{"truncate", func(t *testing.T, p string) { testfs.Truncate(t, p, 0) }, "(write)"},
		{"touch", func(t *testing.T, p string) { run(t, "touch", p) }, "(touch)"},
		{"touch by path", func(t *testing.T, p string) {
			now := time.Now().Add(time.Hour)
			testfs.Chtimes(t, p, now, now)
		}, "(touch)"},
		{"create after delete", func(t *testing.T, p string) {
			testfs.Remove(t, p)
			testfs.WriteFile(t, p, []byte("new\n"), 0o666)
		}, "(create)"},
		{"rename onto", func(t *testing.T, p string) {
			testfs.WriteFile(t, p+".new", []byte("x"), 0o666)
			testfs.Rename(t, p+".new", p)
		}, "(rename)"},
		{"atomic rename-write from another directory", func(t *testing.T, p string) {
			tmp, err := os.CreateTemp(filepath.Dir(filepath.Dir(p)), "atomic")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tmp.WriteString("x"); err != nil {
				t.Fatal(err)
			}
			if err := tmp.Close(); err != nil {
				t.Fatal(err)
			}
			testfs.Rename(t, tmp.Name(), p)
		}, "(rename)"},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			h := startHarness(t, Options{})
			k.change(t, h.trigger)
			h.expect(k.want)
			h.marker()
		})
	}
}

func TestInotifyIgnoresOtherFiles(t *testing.T) {
	h := startHarness(t, Options{})
	other := filepath.Join(h.dir, "trigger2")
	testfs.WriteFile(t, other, []byte("x"), 0o666)
	testfs.Remove(t, other)
	testfs.Remove(t, h.trigger) // a removal alone restarts nothing
	h.marker()
}

func TestInotifyWatchDebounce(t *testing.T) {
	root := t.TempDir()
	h := startHarness(t, Options{Dirs: []string{root}})
	// A burst of 50 writes in new nested directories, as one tar -x.
	var last string
	begin := time.Now()
	for i := 0; i < 50; i++ {
		d := filepath.Join(root, "a", "b"+strconv.Itoa(i/10), "c")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		last = filepath.Join(d, "f"+strconv.Itoa(i))
		if err := os.WriteFile(last, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	took := time.Since(begin)
	h.expect("changes under " + root)
	// Nothing more is pending: the next event is the marker's. (Unless the
	// machine is so loaded that the burst itself had a gap longer than the
	// quiet window: then it is two bursts.)
	if took < DefaultDebounce {
		h.marker()
	} else {
		t.Logf("the burst took %v, more than the quiet window: not checking it made one event", took)
		testfs.WriteFile(t, h.trigger+".tmp", nil, 0o666)
		testfs.Rename(t, h.trigger+".tmp", h.trigger)
		for !strings.Contains(h.next(), "changed (rename)") {
		}
	}
	// The new directories are watched: a write deep inside is seen.
	testfs.WriteFile(t, last, []byte("y"), 0o644)
	h.expect("under " + root + " (e.g. " + last + ")")
}

// A Debounce longer than DefaultMaxWait holds a change that long: MaxWait
// follows it up instead of cutting it short.
func TestWatchDebounceOption(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	debounce := DefaultMaxWait + DefaultMaxWait/2
	h := startHarness(t, Options{Dirs: []string{root}, Debounce: debounce})
	begin := time.Now()
	if err := os.WriteFile(filepath.Join(root, "f"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-h.out:
		t.Fatalf("event %q after %v, before the %v debounce", ev.Reason, time.Since(begin), debounce)
	case <-time.After(DefaultMaxWait + DefaultMaxWait/5):
	}
	h.expect("1 change under " + root)
}

func TestInotifyWatchSkipsTheTrigger(t *testing.T) {
	root := t.TempDir()
	trig := filepath.Join(root, "trigger")
	testfs.WriteFile(t, trig, nil, 0o666)
	h := startHarness(t, Options{Trigger: trig, Dirs: []string{root}})
	testfs.WriteFile(t, trig, []byte("x"), 0o666)
	h.expect("changed (write)")
	mark := filepath.Join(root, "marker")
	testfs.WriteFile(t, mark, []byte("x"), 0o644)
	h.expect("watch: 1 change under " + root + " (e.g. " + mark + ")")
}

func TestInotifyWatchMovedDirectories(t *testing.T) {
	root := t.TempDir()
	staging := t.TempDir()
	testfs.MkdirAll(t, filepath.Join(staging, "pkg", "sub"), 0o755)
	testfs.WriteFile(t, filepath.Join(staging, "pkg", "sub", "f"), nil, 0o644)
	h := startHarness(t, Options{Dirs: []string{root}})
	if err := os.Rename(filepath.Join(staging, "pkg"), filepath.Join(root, "pkg")); err != nil {
		t.Fatal(err)
	}
	h.expect("under " + root)
	f := filepath.Join(root, "pkg", "sub", "f")
	testfs.WriteFile(t, f, []byte("x"), 0o644)
	h.expect("(e.g. " + f + ")")
}

func TestPolling(t *testing.T) {
	root := t.TempDir()
	h := startHarness(t, Options{Dirs: []string{root}, Poll: 20 * time.Millisecond})
	testfs.WriteFile(t, h.trigger, []byte("changed\n"), 0o666)
	h.expect("changed (write)")
	testfs.Remove(t, h.trigger)
	testfs.WriteFile(t, h.trigger, []byte("again\n"), 0o666)
	h.expect("changed (")
	testfs.MkdirAll(t, filepath.Join(root, "x", "y"), 0o755)
	testfs.WriteFile(t, filepath.Join(root, "x", "y", "z"), nil, 0o644)
	h.expect("under " + root)
}

func TestFallbackToPolling(t *testing.T) {
	t.Run("when the trigger's directory is missing", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "later")
		h := startHarness(t, Options{Trigger: filepath.Join(dir, "trigger")})
		if !h.logged("polling every 250ms") {
			t.Errorf("no fallback logged: %q", h.logs)
		}
		testfs.MkdirAll(t, dir, 0o755)
		testfs.WriteFile(t, h.trigger, nil, 0o666)
		h.expect("changed (create)")
	})
	t.Run("when the trigger's directory is removed", func(t *testing.T) {
		h := startHarness(t, Options{})
		if err := os.RemoveAll(h.dir); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(hangGuard)
		for !h.logged("was removed: polling") {
			if time.Now().After(deadline) {
				t.Fatalf("no fallback logged: %q", h.logs)
			}
			time.Sleep(5 * time.Millisecond)
		}
		testfs.MkdirAll(t, h.dir, 0o755)
		testfs.WriteFile(t, h.trigger, nil, 0o666)
		h.expect("changed (create)")
	})
}

func TestTriggerCancelsPendingChanges(t *testing.T) {
	root := t.TempDir()
	h := startHarness(t, Options{Dirs: []string{root}})
	// Tilt: sync files, then touch the trigger. One restart.
	testfs.WriteFile(t, filepath.Join(root, "synced"), []byte("x"), 0o644)
	testfs.WriteFile(t, h.trigger, []byte("go"), 0o666)
	h.expect("changed (write)")
	time.Sleep(3 * DefaultDebounce) // a debounced event would be sent by now
	h.marker()
}
