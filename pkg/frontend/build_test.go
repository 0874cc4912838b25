package frontend

import (
	"context"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/gateway/client"
	"github.com/pkg/errors"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
)

// files is an image's filesystem for a statter: path to mode and size. A
// path it does not hold fails to stat, as it does in a ref.
type files map[string]struct {
	mode os.FileMode
	size int64
}

func (f files) StatFile(_ context.Context, req client.StatRequest) (*fstypes.Stat, error) {
	st, ok := f[req.Path]
	if !ok {
		return nil, errors.Errorf("stat %s: no such file or directory", req.Path)
	}
	return &fstypes.Stat{Path: req.Path, Mode: uint32(st.mode), Size: st.size}, nil
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
			err := checkTrigger(context.Background(), tc.image, tc.trigger)
			if tc.wantError == "" {
				if err != nil {
					t.Fatalf("checkTrigger(%s) = %v, want no error", tc.trigger, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantError) {
				t.Fatalf("checkTrigger(%s) = %v, want an error with %q", tc.trigger, err, tc.wantError)
			}
		})
	}
}

func TestHistory(t *testing.T) {
	created := time.Unix(1700000000, 0).UTC()
	for _, tc := range []struct {
		name   string
		layers []string
		want   []string
	}{
		{"no layer, no entry", nil, nil},
		{"one entry per layer, in order", []string{"add supervisor, trigger /.restart-proc", "add /usr/local/bin/tar"},
			[]string{"[restart] add supervisor, trigger /.restart-proc", "[restart] add /usr/local/bin/tar"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := history(tc.layers, created)
			var got []string
			for _, e := range h {
				got = append(got, e.CreatedBy)
				if e.Created == nil || !e.Created.Equal(created) || e.Comment != historyComment || e.EmptyLayer {
					t.Errorf("entry %+v: want created %s, comment %q, a layer", e, created, historyComment)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("history(%q) creates %q, want %q", tc.layers, got, tc.want)
			}
		})
	}
}

func TestLayerTime(t *testing.T) {
	for _, tc := range []struct {
		name      string
		epoch     string
		want      time.Time
		wantError string
	}{
		{"no SOURCE_DATE_EPOCH: the Unix epoch", "", time.Unix(0, 0).UTC(), ""},
		{"SOURCE_DATE_EPOCH in seconds", "1700000000", time.Unix(1700000000, 0).UTC(), ""},
		{"not a number", "yesterday", time.Time{}, `invalid source.date.epoch "yesterday"`},
		{"a fraction", "1.5", time.Time{}, `invalid source.date.epoch "1.5"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := layerTime([]byte(tc.epoch))
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("layerTime(%q) = %v, %v; want an error with %q", tc.epoch, got, err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("layerTime(%q) = %v, want %v in UTC", tc.epoch, got, tc.want)
			}
		})
	}
}
