package wrap

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/tilt-dev/restart-frontend/pkg/options"
)

// FuzzImage: whatever the entrypoint and cmd, the wrapped image unwraps to
// the original entrypoint, keeps its cmd, and survives a JSON round trip.
// Words are separated by NUL in the fuzzer's strings.
func FuzzImage(f *testing.F) {
	f.Add("/app\x00--serve", "--port\x0080", "")
	f.Add("", "/bin/sh\x00-c\x00exec app", "SIGINT")
	f.Add("/.restart/supervisor\x00--trigger=/x\x00--\x00/app", "", "")
	f.Add("--", "--", "9")
	f.Fuzz(func(t *testing.T, entrypoint, cmd, stopSignal string) {
		if !utf8.ValidString(entrypoint) || !utf8.ValidString(cmd) || !utf8.ValidString(stopSignal) {
			t.Skip("image configs are JSON: their strings are UTF-8")
		}
		img := dockerspec.DockerOCIImage{}
		img.Config.Entrypoint = words(entrypoint)
		img.Config.Cmd = words(cmd)
		img.Config.StopSignal = stopSignal
		o, err := ParseOptions(nil)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Image(img, o, "fuzz")
		if err != nil {
			if _, sigErr := options.ParseSignal(stopSignal); sigErr == nil {
				t.Fatalf("Image failed with a valid STOPSIGNAL %q: %v", stopSignal, err)
			}
			return
		}
		want, _ := Unwrap(img.Config.Entrypoint)
		got, wrapped := Unwrap(out.Config.Entrypoint)
		if !wrapped || !slices.Equal(got, want) {
			t.Fatalf("Unwrap(Image(%q)) = %q, %v; want %q", img.Config.Entrypoint, got, wrapped, want)
		}
		if !slices.Equal(out.Config.Cmd, img.Config.Cmd) {
			t.Fatalf("cmd changed: %q -> %q", img.Config.Cmd, out.Config.Cmd)
		}
		dt, err := json.Marshal(out)
		if err != nil {
			t.Fatal(err)
		}
		var back dockerspec.DockerOCIImage
		if err := json.Unmarshal(dt, &back); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(back.Config.Entrypoint, out.Config.Entrypoint) {
			t.Fatalf("entrypoint did not survive JSON: %q", back.Config.Entrypoint)
		}
	})
}

// FuzzParseOptions: no name or value panics, an error speaks of build args, and
// accepted options render to flags that the supervisor parses back to the
// same settings.
func FuzzParseOptions(f *testing.F) {
	f.Add("RESTART_TRIGGER", "/tmp/x", "RESTART_STOP_TIMEOUT", "1s")
	f.Add("RESTART_WATCH", "/a,/b,,/a/../c", "RESTART_STOP_SIGNAL", "rtmin+3")
	f.Add("RESTART_PROCESS", "off", "RESTART_POLL", "10ms")
	f.Add("RESTART_EXIT_POLICY", "Continue", "RESTART_QUIET", "1")
	f.Add("RESTART_TOOLS", "on", "RESTART_TRIGGER", "/.restart/supervisor")
	f.Add("RESTART_TRIGER", "/x", "NOT_OURS", "")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		o, err := ParseOptions(map[string]string{k1: v1, k2: v2})
		if err != nil {
			if !strings.Contains(err.Error(), "RESTART_") {
				t.Fatalf("error names no build arg: %v", err)
			}
			return
		}
		flags, err := o.Flags("")
		if err != nil {
			t.Fatal(err)
		}
		cfg, argv, err := options.ParseConfig(append(flags, "--", "app"), nil)
		if err != nil {
			t.Fatalf("the supervisor refuses the baked flags %q: %v", flags, err)
		}
		if !reflect.DeepEqual(cfg, o.Supervisor) || !slices.Equal(argv, []string{"app"}) {
			t.Fatalf("flags %q parse to %+v %q, want %+v", flags, cfg, argv, o.Supervisor)
		}
	})
}

// words splits s at NUL bytes; "" is no words at all.
func words(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x00")
}
