package watch

import (
	"testing"
	"time"
)

func TestDebouncer(t *testing.T) {
	ms := time.Millisecond
	t.Run("a burst is due after the quiet window", func(t *testing.T) {
		d := debouncer{quiet: 100 * ms, maxWait: time.Second}
		for i := 0; i < 50; i++ {
			d.add(time.Duration(i)*ms, 1, "/app/f")
		}
		if d.due(148 * ms) {
			t.Error("due before 100ms of quiet")
		}
		if !d.due(149*ms) || d.deadline() != 149*ms {
			t.Errorf("deadline %v, want 149ms", d.deadline())
		}
		n, p := d.take()
		if n != 50 || p != "/app/f" || d.due(time.Hour) {
			t.Errorf("take: %d %q, then due %v", n, p, d.due(time.Hour))
		}
	})
	t.Run("a never-ending stream is due after the maximum wait", func(t *testing.T) {
		d := debouncer{quiet: 100 * ms, maxWait: time.Second}
		for now := time.Duration(0); now < 2*time.Second; now += 10 * ms {
			d.add(now, 1, "/x")
			if d.due(now) {
				if now != time.Second {
					t.Errorf("due at %v, want 1s", now)
				}
				return
			}
		}
		t.Error("never due")
	})
	t.Run("nothing is due without changes", func(t *testing.T) {
		d := debouncer{quiet: 100 * ms, maxWait: time.Second}
		if d.due(time.Hour) {
			t.Error("due")
		}
	})
}

func TestDescribe(t *testing.T) {
	w := &Watcher{opts: Options{Dirs: []string{"/app", "/lib"}}}
	for _, c := range []struct {
		n    int
		p    string
		want string
	}{
		{12, "/app/src/main.py", "watch: 12 changes under /app (e.g. /app/src/main.py)"},
		{1, "/lib", "watch: 1 change under /lib"},
		{3, "/lib/x", "watch: 3 changes under /lib (e.g. /lib/x)"},
	} {
		if got := w.describe(c.n, c.p); got != c.want {
			t.Errorf("describe(%d, %q) = %q, want %q", c.n, c.p, got, c.want)
		}
	}
}
