package wrap

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
)

func defaults(t *testing.T) Options {
	t.Helper()
	o, err := ParseOptions(nil)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// appArgs returns the part of a wrapped entrypoint after the separator, and
// the supervisor's options before it.
func appArgs(t *testing.T, entrypoint []string) (flags, app []string) {
	t.Helper()
	if len(entrypoint) == 0 || entrypoint[0] != contract.SupervisorPath {
		t.Fatalf("entrypoint %q does not start with the supervisor", entrypoint)
	}
	i := slices.Index(entrypoint, "--")
	if i < 0 {
		t.Fatalf("entrypoint %q has no --", entrypoint)
	}
	return entrypoint[1:i], entrypoint[i+1:]
}

func TestImageKeepsTheCommand(t *testing.T) {
	for _, tc := range []struct {
		name       string
		entrypoint []string
		cmd        []string
	}{
		{"exec-form entrypoint and cmd", []string{"/app", "--serve"}, []string{"--port", "80"}},
		{"exec-form cmd only", nil, []string{"/app", "serve"}},
		{"shell-form cmd", nil, []string{"/bin/sh", "-c", "exec /app serve"}},
		{"shell-form entrypoint", []string{"/bin/sh", "-c", "/app"}, nil},
		{"entrypoint only", []string{"/app"}, nil},
		{"neither entrypoint nor cmd", nil, nil},
		{"empty but not nil", []string{}, []string{}},
		{"an app argument that looks like ours", []string{"/app", "--"}, []string{"--trigger=/x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := dockerspec.DockerOCIImage{}
			img.Config.Entrypoint = tc.entrypoint
			img.Config.Cmd = tc.cmd

			out, err := Image(img, defaults(t), "v1.2.3")
			if err != nil {
				t.Fatal(err)
			}
			_, app := appArgs(t, out.Config.Entrypoint)
			if !slices.Equal(app, tc.entrypoint) {
				t.Errorf("app entrypoint = %q, want %q", app, tc.entrypoint)
			}
			if !slices.Equal(out.Config.Cmd, tc.cmd) {
				t.Errorf("cmd = %q, want %q unchanged", out.Config.Cmd, tc.cmd)
			}
			var gotEP, gotCmd []string
			mustUnmarshal(t, out.Config.Labels[contract.LabelEntrypoint], &gotEP)
			mustUnmarshal(t, out.Config.Labels[contract.LabelCmd], &gotCmd)
			if !slices.Equal(gotEP, tc.entrypoint) || !slices.Equal(gotCmd, tc.cmd) {
				t.Errorf("labels record %q %q, want %q %q", gotEP, gotCmd, tc.entrypoint, tc.cmd)
			}
			if img.Config.Labels != nil || !slices.Equal(img.Config.Entrypoint, tc.entrypoint) {
				t.Error("Image changed its input")
			}
		})
	}
}

func TestImageWrapsOnce(t *testing.T) {
	img := dockerspec.DockerOCIImage{}
	img.Config.Entrypoint = []string{"/app"}
	img.Config.Cmd = []string{"serve"}

	once, err := Image(img, defaults(t), "v1")
	if err != nil {
		t.Fatal(err)
	}
	o, err := ParseOptions(map[string]string{"RESTART_TRIGGER": "/tmp/again"})
	if err != nil {
		t.Fatal(err)
	}
	twice, err := Image(once, o, "v2")
	if err != nil {
		t.Fatal(err)
	}
	flags, app := appArgs(t, twice.Config.Entrypoint)
	if !slices.Equal(app, []string{"/app"}) {
		t.Errorf("rewrapped app entrypoint = %q, want [/app]", app)
	}
	if !slices.Contains(flags, "--trigger=/tmp/again") {
		t.Errorf("rewrapping did not refresh the options: %q", flags)
	}
	if twice.Config.Labels[contract.LabelVersion] != "v2" || twice.Config.Labels[contract.LabelEntrypoint] != `["/app"]` {
		t.Errorf("labels = %v", twice.Config.Labels)
	}
}

func TestImageLeavesTheRestAlone(t *testing.T) {
	img := dockerspec.DockerOCIImage{
		Image: ocispecs.Image{Platform: ocispecs.Platform{OS: "linux", Architecture: "arm64"}, Author: "me"},
		Config: dockerspec.DockerOCIImageConfig{
			ImageConfig: ocispecs.ImageConfig{
				User:         "1000:1000",
				ExposedPorts: map[string]struct{}{"80/tcp": {}},
				Env:          []string{"PATH=/bin", "RESTART_TRIGGER=/not/ours"},
				Entrypoint:   []string{"/app"},
				Cmd:          []string{"serve"},
				Volumes:      map[string]struct{}{"/data": {}},
				WorkingDir:   "/work",
				Labels:       map[string]string{"org.example": "kept"},
				StopSignal:   "SIGINT",
			},
			DockerOCIImageConfigExt: dockerspec.DockerOCIImageConfigExt{
				Healthcheck: &dockerspec.HealthcheckConfig{Test: []string{"CMD", "/app", "health"}, Interval: time.Second},
				OnBuild:     []string{"RUN true"},
				Shell:       []string{"/bin/bash", "-c"},
			},
		},
	}
	out, err := Image(img, defaults(t), "v1")
	if err != nil {
		t.Fatal(err)
	}
	// Everything but the entrypoint and our labels must be as it was.
	want := img
	want.Config.Entrypoint = out.Config.Entrypoint
	want.Config.Labels = map[string]string{"org.example": "kept"}
	for k, v := range out.Config.Labels {
		if k != "org.example" {
			want.Config.Labels[k] = v
		}
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("config changed beyond the entrypoint:\n got %+v\nwant %+v", out, want)
	}
	for _, k := range []string{contract.LabelVersion, contract.LabelSupervisor, contract.LabelTrigger, contract.LabelEntrypoint, contract.LabelCmd} {
		if out.Config.Labels[k] == "" {
			t.Errorf("label %s missing", k)
		}
	}
}

func TestImageStopSignal(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      map[string]string
		image     string
		wantFlag  string
		wantError bool
	}{
		{"no STOPSIGNAL means SIGTERM", nil, "", "--stop-signal=SIGTERM", false},
		{"the image's STOPSIGNAL is used", nil, "SIGINT", "--stop-signal=SIGINT", false},
		{"a number in STOPSIGNAL is understood", nil, "3", "--stop-signal=SIGQUIT", false},
		{"the build arg wins over STOPSIGNAL", map[string]string{"RESTART_STOP_SIGNAL": "SIGUSR1"}, "SIGINT", "--stop-signal=SIGUSR1", false},
		{"an unknown STOPSIGNAL is an error", nil, "SIGNOPE", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := ParseOptions(tc.args)
			if err != nil {
				t.Fatal(err)
			}
			img := dockerspec.DockerOCIImage{}
			img.Config.Cmd = []string{"/app"}
			img.Config.StopSignal = tc.image
			out, err := Image(img, o, "v1")
			if tc.wantError {
				if err == nil {
					t.Fatalf("STOPSIGNAL %q was accepted", tc.image)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if flags, _ := appArgs(t, out.Config.Entrypoint); !slices.Contains(flags, tc.wantFlag) {
				t.Errorf("flags %q lack %s", flags, tc.wantFlag)
			}
		})
	}
}

func TestUnwrap(t *testing.T) {
	for _, tc := range []struct {
		name        string
		entrypoint  []string
		want        []string
		wantWrapped bool
	}{
		{"ours", []string{contract.SupervisorPath, "--trigger=/x", "--", "/app", "a"}, []string{"/app", "a"}, true},
		{"ours with no app entrypoint", []string{contract.SupervisorPath, "--"}, []string{}, true},
		{"someone else's", []string{"/app", "--", "x"}, []string{"/app", "--", "x"}, false},
		{"the supervisor path without a separator", []string{contract.SupervisorPath, "version"}, []string{contract.SupervisorPath, "version"}, false},
		{"nothing", nil, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, wrapped := Unwrap(tc.entrypoint)
			if !slices.Equal(got, tc.want) || wrapped != tc.wantWrapped {
				t.Errorf("Unwrap(%q) = %q, %v; want %q, %v", tc.entrypoint, got, wrapped, tc.want, tc.wantWrapped)
			}
		})
	}
}

func mustUnmarshal(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("%q: %v", s, err)
	}
}

func TestParseOptions(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      map[string]string
		want      func(Options) bool
		wantError string
	}{
		{"none: enabled, no tools, the default trigger", nil,
			func(o Options) bool {
				return o.Enabled && !o.Tools && o.Trigger() == contract.DefaultTrigger && !o.StopSignalSet
			}, ""},
		{"RESTART_PROCESS=off disables", map[string]string{"RESTART_PROCESS": "off"},
			func(o Options) bool { return !o.Enabled }, ""},
		{"RESTART_PROCESS empty keeps the default", map[string]string{"RESTART_PROCESS": ""},
			func(o Options) bool { return o.Enabled }, ""},
		{"RESTART_TOOLS=ON adds tools", map[string]string{"RESTART_TOOLS": "ON"},
			func(o Options) bool { return o.Tools }, ""},
		{"RESTART_TOOLS=0 adds none", map[string]string{"RESTART_TOOLS": "0"},
			func(o Options) bool { return !o.Tools }, ""},
		{"a supervisor setting is validated and kept", map[string]string{"RESTART_TRIGGER": "/tmp//t", "RESTART_STOP_SIGNAL": "INT"},
			func(o Options) bool { return o.Trigger() == "/tmp/t" && o.StopSignalSet }, ""},
		{"an empty RESTART_STOP_SIGNAL leaves STOPSIGNAL in charge", map[string]string{"RESTART_STOP_SIGNAL": ""},
			func(o Options) bool { return !o.StopSignalSet }, ""},
		{"a switch that is neither on nor off", map[string]string{"RESTART_TOOLS": "yes"}, nil,
			`invalid build arg RESTART_TOOLS="yes": want on or off`},
		{"a bad supervisor setting", map[string]string{"RESTART_STOP_TIMEOUT": "soon"}, nil,
			"RESTART_STOP_TIMEOUT"},
		{"unknown names, sorted, with the known ones", map[string]string{"RESTART_TRIGER": "/x", "RESTART_A": ""}, nil,
			"unknown build arg RESTART_A, RESTART_TRIGER: build args starting with RESTART_ are this frontend's options; known ones are RESTART_PROCESS, RESTART_TOOLS, RESTART_TRIGGER"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := ParseOptions(tc.args)
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("ParseOptions(%v) = %v, want an error with %q", tc.args, err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.want(o) {
				t.Errorf("ParseOptions(%v) = %+v", tc.args, o)
			}
		})
	}
}

func TestTriggerMayNotReplaceTheSupervisor(t *testing.T) {
	for _, trigger := range []string{"/.restart", "/.restart/supervisor", "/.restart/tools", "/.restart/x/../supervisor"} {
		_, err := ParseOptions(map[string]string{"RESTART_TRIGGER": trigger})
		if err == nil || !strings.Contains(err.Error(), "holds the supervisor") {
			t.Errorf("RESTART_TRIGGER=%s: error %v, want one saying /.restart holds the supervisor", trigger, err)
		}
	}
}
