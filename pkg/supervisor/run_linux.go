//go:build linux

package supervisor

import (
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tilt-dev/restart-frontend/pkg/options"
	"github.com/tilt-dev/restart-frontend/pkg/supervisor/watch"
)

// run is the supervisor proper: setup, signals, spawn, then one event loop.
func run(cfg options.Config, argv, env []string, log *logger) int {
	// Setup. Orphans must come back to us to be killed with their
	// generation: PID 1 gets them anyway, anyone else must ask.
	if os.Getpid() != 1 {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			log.error("cannot become a child subreaper (", err.Error(), "): processes that leave the app's tree escape restarts")
		}
	}

	// Signals, before anything is started.
	sigs := catchSignals()

	// Trigger and watches.
	if err := ensureTrigger(cfg.Trigger); err != nil {
		log.error(explainEnsure(cfg.Trigger, err))
	}
	events := make(chan watch.Event, 1)
	w, err := watch.Start(watch.Options{
		Trigger:  cfg.Trigger,
		Dirs:     cfg.Watch,
		Poll:     cfg.Poll,
		Debounce: cfg.Debounce,
		Log:      func(msg string) { log.error(msg) },
	}, events)
	if err != nil {
		log.error(err.Error())
		return ExitUsage
	}
	defer w.Close()
	requests := stampRequests(cfg.Trigger, events)
	statusSrv, err := serveStatus(cfg.Trigger)
	if err != nil {
		log.error("restart --wait cannot follow this supervisor: cannot serve its status: ", err.Error())
	}

	// Sockets for every generation.
	listens, err := openListens(cfg.Listen)
	if err != nil {
		log.error(err.Error())
		return ExitUsage
	}

	// Spawn.
	r := newProcRunner(newCommand(argv, env, openTerminal(), cfg.Listen, listens), statusSrv, log)
	l := newLifecycle(cfg, r, log)
	l.start()

	// The loop: one event at a time, in this goroutine only.
	var pids []int
	var statuses []exitStatus
	for !l.done() {
		select {
		case <-sigs.chld:
			pids, statuses = reap(pids, statuses)
			l.exited(pids, statuses)
		case sig := <-sigs.forward:
			l.signal(sig.(syscall.Signal))
		case req := <-requests:
			l.request(req.stamp)
			l.trigger(req.reason)
		case v := <-r.timer.C:
			if r.timer.Fired(v) {
				l.timeout()
			}
		}
	}
	return l.code
}

// request is a trigger or watch event with the stamp the trigger held then.
type request struct {
	reason string
	stamp  int64
}

// stampRequests reads the trigger's stamp (status.go) for each event, in a
// goroutine of its own: whatever the trigger has become, the loop that reaps
// and forwards signals never opens it. The channel holds one request, as
// the watcher's does: a burst of events asks for one restart.
func stampRequests(trigger string, events <-chan watch.Event) <-chan request {
	out := make(chan request, 1)
	go func() {
		for ev := range events {
			var stamp int64
			if content, err := readStamp(trigger); err == nil {
				stamp = requestOf(content, time.Now())
			}
			out <- request{reason: ev.Reason, stamp: stamp}
		}
	}()
	return out
}
