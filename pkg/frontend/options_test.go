package frontend

import (
	"maps"
	"testing"
)

func TestRestartArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts map[string]string
		want map[string]string
	}{
		{"no options", nil, map[string]string{}},
		{"build args of the RESTART_ namespace, by name", map[string]string{
			"build-arg:RESTART_TRIGGER": "/tmp/t", "build-arg:RESTART_TOOLS": "on", "build-arg:RESTART_TYPO": "",
		}, map[string]string{"RESTART_TRIGGER": "/tmp/t", "RESTART_TOOLS": "on", "RESTART_TYPO": ""}},
		{"the Dockerfile's own build args are left to upstream", map[string]string{
			"build-arg:GO_VERSION": "1.26", "build-arg:restart_trigger": "/x", "build-arg:XRESTART_TRIGGER": "/x",
		}, map[string]string{}},
		{"other options, even with the namespace, are not build args", map[string]string{
			"RESTART_TRIGGER": "/x", "label:RESTART_TRIGGER": "/x", "filename": "Dockerfile", "source": "tiltdev/restart-frontend",
		}, map[string]string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := restartArgs(tc.opts); !maps.Equal(got, tc.want) {
				t.Errorf("restartArgs(%v) = %v, want %v", tc.opts, got, tc.want)
			}
		})
	}
}
