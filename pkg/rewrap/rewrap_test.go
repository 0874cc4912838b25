package rewrap

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
	"github.com/tilt-dev/restart-frontend/pkg/rewrap/rewraptest"
	"github.com/tilt-dev/restart-frontend/pkg/wrap"
)

var (
	amd64   = v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64   = v1.Platform{OS: "linux", Architecture: "arm64"}
	windows = v1.Platform{OS: "windows", Architecture: "amd64"}
)

func newWrapper(t *testing.T, args map[string]string) (*Wrapper, *[]string) {
	t.Helper()
	sup, err := LoadSupervisors(rewraptest.Frontend(t), "frontend")
	if err != nil {
		t.Fatal(err)
	}
	o, err := wrap.ParseOptions(args)
	if err != nil {
		t.Fatal(err)
	}
	var warnings []string
	return &Wrapper{Supervisors: sup, Options: o, Version: "test", Warn: func(s string) { warnings = append(warnings, s) }}, &warnings
}

// TestImageConfigIsTheFrontends checks that the config is wrap.Image's, as
// the frontend writes it, field for field, with the added layers' diff IDs
// and history entries.
func TestImageConfigIsTheFrontends(t *testing.T) {
	w, _ := newWrapper(t, map[string]string{"RESTART_STOP_TIMEOUT": "3s"})
	interval := 5 * time.Second
	img := rewraptest.Image(t, amd64, []string{"/app"}, map[string]string{"/app": "app"})
	var in dockerspec.DockerOCIImage
	readConfig(t, img, &in)
	in.Config.Cmd = []string{"--port", "80"}
	in.Config.User = "1000:1000"
	in.Config.WorkingDir = "/srv"
	in.Config.StopSignal = "SIGINT"
	in.Config.Shell = []string{"/bin/bash", "-c"}
	in.Config.OnBuild = []string{"RUN true"}
	in.Config.Labels = map[string]string{"a": "b"}
	in.Config.Healthcheck = &dockerspec.HealthcheckConfig{Test: []string{"CMD", "true"}, StartInterval: interval}
	in.History = append(in.History, ocispecs.History{CreatedBy: "RUN true", EmptyLayer: true})
	base, err := withConfig(img, in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := w.Image(base)
	if err != nil {
		t.Fatal(err)
	}
	var got dockerspec.DockerOCIImage
	readConfig(t, out, &got)
	want, err := wrap.Image(in, w.Options, "test")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(got.RootFS.DiffIDs); n != len(in.RootFS.DiffIDs)+1 || !slices.Equal(got.RootFS.DiffIDs[:n-1], in.RootFS.DiffIDs) {
		t.Errorf("diff IDs %v, want the base's %v and one more", got.RootFS.DiffIDs, in.RootFS.DiffIDs)
	}
	h := got.History[len(got.History)-1]
	if h.Comment != contract.HistoryComment || h.CreatedBy != "[restart] add supervisor, trigger /.restart-proc" {
		t.Errorf("history %+v", h)
	}
	got.RootFS, want.RootFS = in.RootFS, in.RootFS
	got.History = got.History[:len(got.History)-1]
	gotJSON, _ := json.Marshal(got)
	wantJSON, _ := json.Marshal(want)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("config\n got %s\nwant %s", gotJSON, wantJSON)
	}
}

func TestLayerEntries(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    map[string]string
		files   map[string]string
		entries [][]rewraptest.Entry // per added layer
	}{{
		name: "defaults",
		entries: [][]rewraptest.Entry{{
			{Path: "/.restart", Mode: 0o755, Type: '5'},
			{Path: "/.restart/supervisor", Mode: 0o755, Type: '0', Content: rewraptest.Supervisor("linux/amd64")},
			{Path: "/.restart-proc", Mode: 0o666, Type: '0'},
		}},
	}, {
		name:  "tools and a trigger in a folder",
		args:  map[string]string{"RESTART_TOOLS": "on", "RESTART_TRIGGER": "/tmp/x/trigger"},
		files: map[string]string{"/tmp/": "", "/bin/rm": "rm"},
		entries: [][]rewraptest.Entry{{
			{Path: "/.restart", Mode: 0o755, Type: '5'},
			{Path: "/.restart/supervisor", Mode: 0o755, Type: '0', Content: rewraptest.Supervisor("linux/amd64")},
			{Path: "/.restart/tools", Mode: 0o755, Type: '0', Content: rewraptest.Tools("linux/amd64")},
		}, {
			{Path: "/tmp/x", Mode: 0o755, Type: '5'},
			{Path: "/tmp/x/trigger", Mode: 0o666, Type: '0'},
			{Path: "/usr", Mode: 0o755, Type: '5'},
			{Path: "/usr/local", Mode: 0o755, Type: '5'},
			{Path: "/usr/local/bin", Mode: 0o755, Type: '5'},
			{Path: "/usr/local/bin/tar", Mode: 0o777, Type: '2', Link: "/.restart/tools"},
		}},
	}, {
		name:  "tools on, but the image has tar and rm",
		args:  map[string]string{"RESTART_TOOLS": "on"},
		files: map[string]string{"/bin/tar": "tar", "/bin/rm": "rm"},
		entries: [][]rewraptest.Entry{{
			{Path: "/.restart", Mode: 0o755, Type: '5'},
			{Path: "/.restart/supervisor", Mode: 0o755, Type: '0', Content: rewraptest.Supervisor("linux/amd64")},
			{Path: "/.restart-proc", Mode: 0o666, Type: '0'},
		}},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			w, _ := newWrapper(t, tc.args)
			files := map[string]string{"/app": "app"}
			for k, v := range tc.files {
				files[k] = v
			}
			out, err := w.Image(rewraptest.Image(t, amd64, []string{"/app"}, files))
			if err != nil {
				t.Fatal(err)
			}
			for i, l := range rewraptest.LastLayers(t, out, len(tc.entries)) {
				got := rewraptest.Entries(t, l)
				if !slices.Equal(got, tc.entries[i]) {
					t.Errorf("layer %d:\n got %+v\nwant %+v", i, got, tc.entries[i])
				}
			}
		})
	}
}

func TestSharedLayerIsOneBlob(t *testing.T) {
	digest := func(img v1.Image) v1.Hash {
		w, _ := newWrapper(t, nil) // a new command run each time
		out, err := w.Image(img)
		if err != nil {
			t.Fatal(err)
		}
		d, err := rewraptest.LastLayers(t, out, 1)[0].Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a := digest(rewraptest.Image(t, amd64, []string{"/a"}, map[string]string{"/a": "a"}))
	c := digest(rewraptest.Image(t, amd64, []string{"/c"}, map[string]string{"/c/": ""}))
	if a != c {
		t.Errorf("the supervisor layers of two images differ: %s and %s", a, c)
	}
}

func TestWrapTwiceIsWrapOnce(t *testing.T) {
	w, _ := newWrapper(t, map[string]string{"RESTART_TOOLS": "on"})
	once, err := w.Image(rewraptest.Image(t, amd64, []string{"/app"}, map[string]string{"/app": "app"}))
	if err != nil {
		t.Fatal(err)
	}
	twice, err := w.Image(once)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := once.Digest()
	d2, _ := twice.Digest()
	if d1 != d2 {
		var c1, c2 dockerspec.DockerOCIImage
		readConfig(t, once, &c1)
		readConfig(t, twice, &c2)
		t.Errorf("wrapping a wrapped image changed it:\n once %+v %+v\ntwice %+v %+v", c1.Config.Entrypoint, len(c1.RootFS.DiffIDs), c2.Config.Entrypoint, len(c2.RootFS.DiffIDs))
	}
}

func TestIndex(t *testing.T) {
	w, warnings := newWrapper(t, nil)
	idx := rewraptest.Index(t, map[string]v1.Image{
		"linux/amd64":   rewraptest.Image(t, amd64, []string{"/app"}, nil),
		"linux/arm64":   rewraptest.Image(t, arm64, []string{"/app"}, nil),
		"windows/amd64": rewraptest.Image(t, windows, []string{"app.exe"}, nil),
	})
	out, err := w.Index(idx)
	if err != nil {
		t.Fatal(err)
	}
	m, err := out.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	before, _ := idx.IndexManifest()
	for i, d := range m.Manifests {
		img, err := out.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := img.Digest(); err != nil || got != d.Digest {
			t.Errorf("the index names %s for %s, which is %s (%v)", d.Digest, d.Platform, got, err)
		}
		p := d.Platform.String()
		if p == "windows/amd64" {
			if d.Digest != before.Manifests[i].Digest {
				t.Errorf("windows/amd64 changed")
			}
			continue
		}
		es := rewraptest.Entries(t, rewraptest.LastLayers(t, img, 1)[0])
		if got := es[1].Content; got != rewraptest.Supervisor(p) {
			t.Errorf("%s has %q, want its own supervisor", p, got)
		}
	}
	if len(*warnings) != 1 || !strings.Contains((*warnings)[0], "windows/amd64") {
		t.Errorf("warnings %q, want one naming windows/amd64", *warnings)
	}
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  map[string]string
		img   func(t *testing.T) v1.Image
		index func(t *testing.T) v1.ImageIndex
		want  string
	}{{
		name: "no command",
		img:  func(t *testing.T) v1.Image { return rewraptest.Image(t, amd64, nil, nil) },
		want: "neither ENTRYPOINT nor CMD",
	}, {
		name: "trigger is a file of the image",
		args: map[string]string{"RESTART_TRIGGER": "/app"},
		img: func(t *testing.T) v1.Image {
			return rewraptest.Image(t, amd64, []string{"/app"}, map[string]string{"/app": "app"})
		},
		want: `invalid build arg RESTART_TRIGGER="/app": the image has a file of 3 bytes there`,
	}, {
		name: "trigger is a folder of the image",
		args: map[string]string{"RESTART_TRIGGER": "/data"},
		img: func(t *testing.T) v1.Image {
			return rewraptest.Image(t, amd64, []string{"/app"}, map[string]string{"/data/": ""})
		},
		want: "the image has a folder there",
	}, {
		name: "no platform has a supervisor",
		index: func(t *testing.T) v1.ImageIndex {
			return rewraptest.Index(t, map[string]v1.Image{"windows/amd64": rewraptest.Image(t, windows, []string{"app.exe"}, nil)})
		},
		want: "no supervisor for platform windows/amd64",
	}, {
		name: "a platform the frontend image lacks",
		img: func(t *testing.T) v1.Image {
			return rewraptest.Image(t, v1.Platform{OS: "linux", Architecture: "s390x"}, []string{"/app"}, nil)
		},
		want: "the frontend image frontend has no /supervisors/linux/s390x/supervisor",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			w, _ := newWrapper(t, tc.args)
			var err error
			if tc.index != nil {
				_, err = w.Index(tc.index(t))
			} else {
				_, err = w.Image(tc.img(t))
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestEpochDatesFilesAndHistory(t *testing.T) {
	w, _ := newWrapper(t, nil)
	epoch := time.Unix(1700000000, 0).UTC()
	w.Epoch = &epoch
	out, err := w.Image(rewraptest.Image(t, amd64, []string{"/app"}, nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range rewraptest.Entries(t, rewraptest.LastLayers(t, out, 1)[0]) {
		if e.ModTime != epoch.Unix() {
			t.Errorf("%s dated %d, want %d", e.Path, e.ModTime, epoch.Unix())
		}
	}
	var cfg dockerspec.DockerOCIImage
	readConfig(t, out, &cfg)
	if got := cfg.History[len(cfg.History)-1].Created; got == nil || !got.Equal(epoch) {
		t.Errorf("history dated %v, want %v", got, epoch)
	}
}

func readConfig(t *testing.T, img v1.Image, into any) {
	t.Helper()
	raw, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, into); err != nil {
		t.Fatal(err)
	}
}
