package wrap

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/platforms"
	"github.com/pkg/errors"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
)

func TestSourcePath(t *testing.T) {
	for _, tc := range []struct {
		platform string
		want     string
	}{
		{"linux/amd64", "/supervisors/linux/amd64/supervisor"},
		{"linux/arm64", "/supervisors/linux/arm64/supervisor"},
		{"linux/arm64/v8", "/supervisors/linux/arm64/supervisor"},
		{"linux/arm", "/supervisors/linux/arm/v7/supervisor"},
		{"linux/arm/v6", "/supervisors/linux/arm/v6/supervisor"},
		{"linux/386", "/supervisors/linux/386/supervisor"},
		{"linux/riscv64", "/supervisors/linux/riscv64/supervisor"},
	} {
		t.Run(tc.platform+" maps to its own binary", func(t *testing.T) {
			got, err := SourcePath(platforms.MustParse(tc.platform))
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("SourcePath(%s) = %s, want %s", tc.platform, got, tc.want)
			}
		})
	}
	for _, p := range []string{"windows/amd64", "linux/mips64le", "darwin/arm64"} {
		t.Run(p+" is refused with a way out", func(t *testing.T) {
			_, err := SourcePath(platforms.MustParse(p))
			if err == nil {
				t.Fatalf("SourcePath(%s) succeeded", p)
			}
			for _, want := range []string{p, "RESTART_PROCESS=off", "linux/amd64"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
}

// files is an image's filesystem for a [Statter]: path to mode and size. A
// path it does not hold fails to stat, as it does in a ref.
type files map[string]struct {
	mode os.FileMode
	size int64
}

func (f files) Stat(p string) (os.FileMode, int64, error) {
	st, ok := f[p]
	if !ok {
		return 0, 0, errors.Errorf("stat %s: no such file or directory", p)
	}
	return st.mode, st.size, nil
}

// Modes of the table's files.
const (
	dir     = os.ModeDir | 0o755
	regular = os.FileMode(0o644)
	symlink = os.ModeSymlink | 0o777
)

func TestCheckTrigger(t *testing.T) {
	for _, tc := range []struct {
		name    string
		image   files
		trigger string
		// wantError is part of the error; "" for none.
		wantError string
	}{
		{"an empty image", files{}, "/.restart-proc", ""},
		{"a new file in an existing folder", files{"/tmp": {mode: dir}}, "/tmp/restart", ""},
		{"a new file in new folders", files{}, "/a/b/restart", ""},
		{"the empty trigger of a base image built with the frontend", files{"/.restart-proc": {mode: 0o666}}, "/.restart-proc", ""},
		{"a link at the trigger is followed by the copy", files{"/t": {mode: symlink}}, "/t", ""},
		{"a link among the folders is followed by the copy", files{"/var/run": {mode: symlink}}, "/var/run/t/restart", ""},
		{"a folder at the trigger", files{"/app": {mode: dir}}, "/app",
			`invalid build arg RESTART_TRIGGER="/app": the image has a folder there; give the path of a file, e.g. /app/.restart-proc`},
		{"a file with content at the trigger", files{"/etc": {mode: dir}, "/etc/passwd": {mode: regular, size: 12}}, "/etc/passwd",
			`invalid build arg RESTART_TRIGGER="/etc/passwd": the image has a file of 12 bytes there, which the empty trigger file would replace; give a path the image does not have, e.g. ` + contract.DefaultTrigger},
		{"a named pipe at the trigger", files{"/fifo": {mode: os.ModeNamedPipe | 0o666}}, "/fifo", "the image has a named pipe there"},
		{"a socket at the trigger", files{"/sock": {mode: os.ModeSocket | 0o666}}, "/sock", "the image has a socket there"},
		{"a device at the trigger", files{"/null": {mode: os.ModeDevice | os.ModeCharDevice | 0o666}}, "/null", "the image has a device there"},
		{"a file where a folder is needed", files{"/app": {mode: regular, size: 100}}, "/app/restart",
			`invalid build arg RESTART_TRIGGER="/app/restart": /app is a file in the image, not a folder`},
		{"an empty file where a folder is needed", files{"/a": {mode: dir}, "/a/b": {mode: 0o666}}, "/a/b/c/restart",
			"/a/b is a file in the image, not a folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckTrigger(tc.image, tc.trigger)
			if tc.wantError == "" {
				if err != nil {
					t.Fatalf("CheckTrigger(%s) = %v, want no error", tc.trigger, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantError) {
				t.Fatalf("CheckTrigger(%s) = %v, want an error with %q", tc.trigger, err, tc.wantError)
			}
		})
	}
}

func TestMissingTools(t *testing.T) {
	tools := files{"/bin/tar": {mode: 0o755}, "/bin/rm": {mode: 0o755}}
	onlyTar := files{"/usr/bin/tar": {mode: 0o755}}
	for _, tc := range []struct {
		name  string
		image Statter // nil for scratch
		env   []string
		want  []string
		// wantError is part of the error; "" for none.
		wantError string
	}{
		{"scratch gets both in /usr/local/bin", nil, nil, []string{"/usr/local/bin/tar", "/usr/local/bin/rm"}, ""},
		{"an image with both gets none", tools, nil, nil, ""},
		{"an image with tar gets rm", onlyTar, nil, []string{"/usr/local/bin/rm"}, ""},
		{"a tool outside the PATH does not count", onlyTar, []string{"PATH=/bin"}, []string{"/bin/tar", "/bin/rm"}, ""},
		{"the PATH's first folder without /usr/local/bin", nil, []string{"PATH=/app/bin:/bin"}, []string{"/app/bin/tar", "/app/bin/rm"}, ""},
		{"/usr/local/bin wherever it is on the PATH", nil, []string{"PATH=/app:/usr/local/bin/"}, []string{"/usr/local/bin/tar", "/usr/local/bin/rm"}, ""},
		{"relative folders are skipped", nil, []string{"PATH=bin:.:/opt//bin"}, []string{"/opt/bin/tar", "/opt/bin/rm"}, ""},
		{"the last PATH wins", tools, []string{"PATH=/x", "HOME=/", "PATH=/bin"}, nil, ""},
		{"no absolute folder on the PATH", nil, []string{"PATH=bin:."}, nil, "needs an absolute folder on the image's PATH"},
		{"an empty PATH", tools, []string{"PATH="}, nil, "needs an absolute folder on the image's PATH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MissingTools(tc.image, tc.env)
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("MissingTools = %q, %v; want an error with %q", got, err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("MissingTools = %q, want %q", got, tc.want)
			}
		})
	}
}
