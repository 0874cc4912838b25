// Package watch tells the supervisor when to restart the app: when the
// trigger file changes, or when files change under the watched directories.
//
// # Theory of operation
//
// The trigger file is watched through its parent directory, with one inotify
// watch filtered by name, so every way of changing it is seen: a write or a
// truncation (IN_MODIFY, IN_CLOSE_WRITE), a touch (IN_ATTRIB), a creation
// (IN_CREATE) and a rename onto it (IN_MOVED_TO), which covers atomic
// rename-writes and delete-and-recreate. The events of one write (modify,
// modify, close) make a single trigger, and a trigger is reported at once,
// without a settle delay.
//
// Watched directories are watched recursively: a directory that appears gets
// a watch (and its entries count as changes). Their changes are debounced: an
// Event is sent once no change arrived for Debounce (100ms), or MaxWait (1s,
// at least 3 Debounce) after the first change of a burst, so that one `tar
// -x` of many files makes one restart while a never-ending stream still
// makes some. A trigger cancels the pending changes: its restart comes after
// them.
//
// Without inotify (inotify_init1 fails, or a watch cannot be added: ENOSPC,
// EACCES, a missing directory, a removed trigger directory), or with
// Options.Poll, the watcher polls instead: it compares the trigger's inode,
// size, mtime and ctime, and an order-independent hash of every entry of the
// watched trees, every Poll interval.
//
// Events are sent without blocking on a channel of capacity 1: while the
// supervisor has not taken the last event, newer ones coalesce into it.
package watch

import (
	"errors"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/tilt-dev/restart-frontend/pkg/options"
	"github.com/tilt-dev/restart-frontend/pkg/supervisor/internal/alarm"
)

// Defaults of the debouncer of watched directories.
const (
	// DefaultDebounce is the supervisor's default --debounce; the options
	// package says why it is this long.
	DefaultDebounce = options.DefaultDebounce
	DefaultMaxWait  = time.Second
	// DefaultPoll is the interval used when inotify is unavailable.
	DefaultPoll = 250 * time.Millisecond
)

// Options configures a Watcher.
type Options struct {
	Trigger string        // absolute path of the trigger file
	Dirs    []string      // absolute directories to watch recursively
	Poll    time.Duration // poll at this interval instead of using inotify; 0 for inotify
	// Debounce is how long changes under Dirs must be quiet before an
	// Event; 0 for DefaultDebounce.
	Debounce time.Duration
	// MaxWait bounds the delay of an Event after the first change of a
	// burst; 0 for DefaultMaxWait. It is raised to 3 Debounce.
	MaxWait time.Duration
	// Log receives one line about each problem or fallback; it may be nil.
	Log func(msg string)
}

// Event asks for a restart.
type Event struct {
	// Reason says why, e.g. "trigger /.restart-proc changed (write)" or
	// "watch: 12 changes under /app (e.g. /app/main.py)".
	Reason string
}

// batch is what a backend reports: what changed since its last report.
type batch struct {
	trigger  string // kind of change of the trigger file; "" if none
	n        int    // number of changes under the watched directories
	path     string // one of those changes
	fallback error  // the backend gave up: switch to polling
}

// backend is inotify or polling.
type backend interface {
	close()
	// pending reports events that happened but were not reported yet.
	pending() bool
}

// Watcher watches the trigger and the directories until Close.
type Watcher struct {
	opts Options
	out  chan<- Event
	raw  chan batch
	done chan struct{}
	exit chan struct{}
	be   backend
}

// Start starts watching and sends Events to out, which should have a
// capacity of 1. It fails only on bad options: when inotify is unavailable it
// polls.
func Start(opts Options, out chan<- Event) (*Watcher, error) {
	if !strings.HasPrefix(opts.Trigger, "/") {
		return nil, errors.New("watch: the trigger must be an absolute path")
	}
	for _, d := range opts.Dirs {
		if !strings.HasPrefix(d, "/") {
			return nil, errors.New("watch: \"" + d + "\" is not an absolute directory")
		}
	}
	opts.Trigger = path.Clean(opts.Trigger)
	if opts.Debounce <= 0 {
		opts.Debounce = DefaultDebounce
	}
	if opts.MaxWait <= 0 {
		opts.MaxWait = DefaultMaxWait
	}
	opts.fitMaxWait()
	w := &Watcher{
		opts: opts,
		out:  out,
		raw:  make(chan batch, 16),
		done: make(chan struct{}),
		exit: make(chan struct{}),
	}
	if opts.Poll > 0 {
		w.startPolling(opts.Poll)
	} else if be, err := startInotify(opts.Trigger, opts.Dirs, w.raw); err != nil {
		w.logf("inotify is unavailable (" + err.Error() + "): polling every " + DefaultPoll.String())
		w.startPolling(DefaultPoll)
	} else {
		w.be = be
	}
	go w.loop()
	return w, nil
}

// Close stops the watcher. No Event is sent after Close returns.
func (w *Watcher) Close() {
	close(w.done)
	<-w.exit
	w.be.close()
}

func (w *Watcher) logf(msg string) {
	if w.opts.Log != nil {
		w.opts.Log(msg)
	}
}

func (w *Watcher) startPolling(interval time.Duration) {
	w.be = startPoller(w.opts.Trigger, w.opts.Dirs, interval, w.raw)
	// A poll sees a burst only at its ticks: stay quiet for more than one.
	w.opts.Debounce = max(w.opts.Debounce, interval+interval/2)
	w.opts.fitMaxWait()
}

// fitMaxWait raises MaxWait to 3 Debounce: a longer debounce must not be
// cut short.
func (o *Options) fitMaxWait() {
	o.MaxWait = max(o.MaxWait, 3*o.Debounce)
}

// loop debounces the changes of watched directories and sends Events.
func (w *Watcher) loop() {
	defer close(w.exit)
	d := debouncer{quiet: w.opts.Debounce, maxWait: w.opts.MaxWait}
	timer := alarm.New()
	for {
		select {
		case <-w.done:
			timer.Stop()
			return
		case b := <-w.raw:
			if b.fallback != nil {
				w.be.close()
				w.startPolling(DefaultPoll)
				d.quiet, d.maxWait = w.opts.Debounce, w.opts.MaxWait
				w.logf(b.fallback.Error() + ": polling every " + DefaultPoll.String())
				continue
			}
			if b.trigger != "" {
				w.send("trigger " + w.opts.Trigger + " changed (" + b.trigger + ")")
				// The restart it asks for starts the app after every change
				// seen so far: those pending need no restart of their own.
				// (Tilt syncs, then touches the trigger.)
				d.take()
				timer.Stop()
				continue
			}
			if b.n > 0 || b.path != "" {
				now := time.Since(epoch)
				d.add(now, b.n, b.path)
				timer.Set(d.deadline() - now)
			}
		case v := <-timer.C:
			if !timer.Fired(v) {
				continue
			}
			now := time.Since(epoch)
			// Quiet means no change happened, not none was read: a starved
			// reader must not split a burst. Past MaxWait, fire anyway.
			if now < d.first+d.maxWait && (len(w.raw) > 0 || w.be.pending()) {
				timer.Set(time.Millisecond)
				continue
			}
			if !d.due(now) {
				timer.Set(d.deadline() - now)
				continue
			}
			n, p := d.take()
			w.send(w.describe(n, p))
		}
	}
}

// describe words a debounced burst of changes.
func (w *Watcher) describe(n int, p string) string {
	root := p
	for _, d := range w.opts.Dirs {
		if p == d || strings.HasPrefix(p, d+"/") || d == "/" {
			root = d
			break
		}
	}
	changes := " changes under "
	if n == 1 {
		changes = " change under "
	}
	s := "watch: " + strconv.Itoa(n) + changes + root
	if p != root && p != "" {
		s += " (e.g. " + quoteName(p) + ")"
	}
	return s
}

// quoteName returns a changed file's name fit for the log: as it is when it
// is printable, else quoted as Go does, so that a name with a newline or an
// escape sequence (anyone who can write under a watched folder chooses the
// names) cannot forge log lines or drive the terminal.
func quoteName(p string) string {
	for _, r := range p {
		if !strconv.IsPrint(r) || r == '"' || r == '\uFFFD' { // U+FFFD: invalid UTF-8, or itself
			return strconv.Quote(p)
		}
	}
	return p
}

// send offers an Event without blocking: if the last one was not taken yet,
// it already asks for the restart this one asks for.
func (w *Watcher) send(reason string) {
	select {
	case w.out <- Event{Reason: reason}:
	default:
	}
}

// debouncer collects changes until they are quiet for a while.
type debouncer struct {
	quiet, maxWait time.Duration
	n              int
	first, last    time.Duration // on a monotonic clock
	path           string
}

// add records n changes at now.
func (d *debouncer) add(now time.Duration, n int, path string) {
	if n == 0 && d.n == 0 {
		n = 1 // activity that a backend did not count (the same file again)
	}
	if d.n == 0 {
		d.first = now
		d.path = path
	}
	d.n += n
	d.last = now
}

// deadline is when the pending changes are due.
func (d *debouncer) deadline() time.Duration {
	return min(d.last+d.quiet, d.first+d.maxWait)
}

// due reports whether pending changes should be reported at now.
func (d *debouncer) due(now time.Duration) bool {
	return d.n > 0 && now >= d.deadline()
}

// take returns and clears the pending changes.
func (d *debouncer) take() (int, string) {
	n, p := d.n, d.path
	d.n, d.path = 0, ""
	return n, p
}

func join(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

// epoch starts the package's monotonic clock: durations since it stand for
// instants (a time.Time in a struct may link time formatting into the
// binary).
var epoch = time.Now()
