package alarm

import (
	"testing"
	"time"
)

func TestAlarm(t *testing.T) {
	a := New()
	a.Set(time.Millisecond)
	if v := <-a.C; !a.Fired(v) {
		t.Error("the alarm did not count as fired")
	}
	if a.Fired(0) {
		t.Error("a stale value counts")
	}

	// A reset makes the earlier setting's firing stale.
	a.Set(time.Millisecond)
	first := <-a.C
	a.Set(time.Hour)
	if a.Fired(first) {
		t.Error("a firing from before Set counts")
	}

	// Stop makes any firing stale.
	a.Set(time.Millisecond)
	v := <-a.C
	a.Stop()
	if a.Fired(v) {
		t.Error("a firing from before Stop counts")
	}
}
