// Package alarm is a resettable one-shot timer for event loops.
//
// It exists because time.Timer and time.Ticker deliver a time.Time over a
// channel, which links time formatting and time zone loading into the
// binary; the supervisor ships in every image, so it does without them.
package alarm

import (
	"sync"
	"time"
)

// Alarm fires once per Set, unless Stop or another Set comes first. Stale
// firings are filtered out: Fired reports only the last Set's.
type Alarm struct {
	// C receives a value when an alarm may have fired; check it with Fired.
	C chan uint64

	mu   sync.Mutex
	seq  uint64
	stop func() bool // the pending timer's Stop; nil if none. (A *time.Timer
	// field would bring the time.Time methods back, through type metadata.)
}

// New returns a stopped Alarm.
func New() *Alarm {
	return &Alarm{C: make(chan uint64, 4)}
}

// Set arms the alarm to fire after d, replacing any earlier setting.
func (a *Alarm) Set(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	if a.stop != nil {
		a.stop()
	}
	seq := a.seq
	a.stop = time.AfterFunc(d, func() { a.C <- seq }).Stop
}

// Stop disarms the alarm.
func (a *Alarm) Stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seq++
	if a.stop != nil {
		a.stop()
		a.stop = nil
	}
}

// Fired reports whether v, received from C, is the firing of the current
// setting (and not of an earlier one, or of a stopped one).
func (a *Alarm) Fired(v uint64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if v != a.seq || a.stop == nil {
		return false
	}
	a.stop = nil
	return true
}
