package integration

import (
	"strings"
	"testing"
	"time"
)

// TestHistoryDatesTheSupervisorLayer: the config has a history entry for
// each layer the frontend adds, as upstream has one for each layer of the
// Dockerfile, dated with SOURCE_DATE_EPOCH when the build has one and with
// the build's own time otherwise (not with the day the shared layer was
// first made, which the exporter would use for a layer with no entry).
func TestHistoryDatesTheSupervisorLayer(t *testing.T) {
	const df = "FROM busybox\nRUN echo hi > /hi\n"
	epoch := time.Date(2023, 1, 10, 15, 34, 56, 0, time.UTC)
	for _, tc := range []struct {
		name, epoch, trigger string
		layers               int
	}{
		{"with SOURCE_DATE_EPOCH", "1673364896", "", 1},
		{"without SOURCE_DATE_EPOCH", "", "", 1},
		{"a trigger in a folder is a second layer", "1673364896", "/tmp/restart", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBuild(t, df)
			if tc.epoch != "" {
				b.withBuildArg("SOURCE_DATE_EPOCH", tc.epoch)
			}
			if tc.trigger != "" {
				b.withBuildArg("RESTART_TRIGGER", tc.trigger)
			}
			start := time.Now()
			b.mustRun(func(b *build) {
				h := b.image("").History
				if len(h) < tc.layers+1 {
					t.Fatalf("history = %v, want the Dockerfile's and %d of ours", h, tc.layers)
				}
				ours, theirs := h[len(h)-tc.layers:], h[len(h)-tc.layers-1]
				if !strings.HasPrefix(theirs.CreatedBy, "RUN ") {
					t.Errorf("entry before ours = %q, want the Dockerfile's RUN", theirs.CreatedBy)
				}
				for _, e := range ours {
					if e.Comment != "restart-frontend" || !strings.HasPrefix(e.CreatedBy, "[restart] add ") || e.EmptyLayer {
						t.Errorf("entry %+v is not one of the supervisor's layers", e)
					}
					switch {
					case e.Created == nil:
						t.Errorf("entry %q has no date", e.CreatedBy)
					case tc.epoch != "" && !e.Created.Equal(epoch):
						t.Errorf("entry %q is dated %s, want SOURCE_DATE_EPOCH %s", e.CreatedBy, e.Created, epoch)
					case tc.epoch == "" && e.Created.Before(start.Add(-time.Second)):
						t.Errorf("entry %q is dated %s, before this build started (%s)", e.CreatedBy, e.Created, start)
					}
				}
			})
		})
	}
}
