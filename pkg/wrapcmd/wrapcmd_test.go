package wrapcmd

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
	"github.com/tilt-dev/restart-frontend/pkg/rewrap/rewraptest"
	"github.com/tilt-dev/restart-frontend/pkg/transport"
)

// countingRegistry is ggcr's in-memory registry that records every request.
type countingRegistry struct {
	host string
	mu   sync.Mutex
	reqs []string // "METHOD PATH?QUERY"
}

func newRegistry(t *testing.T) *countingRegistry {
	t.Helper()
	r := &countingRegistry{}
	reg := registry.New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.reqs = append(r.reqs, req.Method+" "+req.URL.Path+"?"+req.URL.RawQuery)
		r.mu.Unlock()
		reg.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

// requests returns the requests since the last call.
func (r *countingRegistry) requests() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}

func (r *countingRegistry) push(t *testing.T, repo string, img v1.Image) string {
	t.Helper()
	ref := r.host + "/" + repo
	if err := remote.Write(parseRef(t, ref), img); err != nil {
		t.Fatal(err)
	}
	return ref
}

func (r *countingRegistry) image(t *testing.T, ref string) v1.Image {
	t.Helper()
	img, err := remote.Image(parseRef(t, ref))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func run(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := Run(context.Background(), append([]string{"--cache", t.TempDir()}, args...), env, &out, &errOut)
	t.Log(errOut.String())
	return out.String(), err
}

// TestRegistryToRegistry wraps a registry image into the registry and
// checks that no base layer is downloaded, and that a second wrap uploads
// nothing (the supervisor layer and config are mounted) and downloads no
// layer of the frontend image (it is in the cache).
func TestRegistryToRegistry(t *testing.T) {
	reg := newRegistry(t)
	frontend := reg.push(t, "frontend:test", rewraptest.Frontend(t))
	base := rewraptest.Image(t, v1.Platform{OS: "linux", Architecture: "amd64"}, []string{"/app"}, map[string]string{"/app": "app"})
	src := reg.push(t, "app:1", base)
	baseLayers, err := base.Layers()
	if err != nil {
		t.Fatal(err)
	}
	reg.requests()

	cache := []string{"--cache", t.TempDir()}
	if _, err := run(t, nil, append(cache, src, reg.host+"/app:wrapped", "--frontend", frontend)...); err != nil {
		t.Fatal(err)
	}
	for _, req := range reg.requests() {
		for _, l := range baseLayers {
			d, _ := l.Digest()
			if strings.HasPrefix(req, "GET ") && strings.Contains(req, d.String()) {
				t.Errorf("base layer downloaded: %s", req)
			}
		}
	}
	cfg, err := reg.image(t, reg.host+"/app:wrapped").ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if ep := cfg.Config.Entrypoint; len(ep) == 0 || ep[0] != contract.SupervisorPath || ep[len(ep)-1] != "/app" {
		t.Errorf("entrypoint %q, want the supervisor running /app", ep)
	}

	if _, err := run(t, nil, append(cache, src, reg.host+"/other:wrapped", "--frontend", frontend)...); err != nil {
		t.Fatal(err)
	}
	for _, req := range reg.requests() {
		if strings.HasPrefix(req, "PATCH ") || (strings.HasPrefix(req, "PUT ") && strings.Contains(req, "/blobs/")) {
			t.Errorf("a blob was uploaded again: %s", req)
		}
		if strings.HasPrefix(req, "GET /v2/frontend/blobs/") && !strings.Contains(req, configDigest(t, reg, frontend)) {
			t.Errorf("a layer of the frontend image was downloaded again: %s", req)
		}
	}
}

func TestIndexInIndexOut(t *testing.T) {
	reg := newRegistry(t)
	frontend := reg.push(t, "frontend:test", rewraptest.Frontend(t))
	idx := rewraptest.Index(t, map[string]v1.Image{
		"linux/amd64": rewraptest.Image(t, v1.Platform{OS: "linux", Architecture: "amd64"}, []string{"/app"}, nil),
		"linux/arm64": rewraptest.Image(t, v1.Platform{OS: "linux", Architecture: "arm64"}, []string{"/app"}, nil),
	})
	src := reg.host + "/multi:1"
	if err := remote.WriteIndex(parseRef(t, src), idx); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if _, err := run(t, nil, "--frontend", frontend, "docker://"+src, "oci:"+dir+":wrapped"); err != nil {
		t.Fatal(err)
	}
	l, err := transport.Parse("oci:" + dir + ":wrapped")
	if err != nil {
		t.Fatal(err)
	}
	a, err := l.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if a.Index == nil {
		t.Fatal("an index in gave no index out")
	}
	if err := validate.Index(a.Index); err != nil {
		t.Errorf("the written index is not valid: %v", err)
	}
	// Into an archive, one platform.
	file := filepath.Join(t.TempDir(), "app.tar")
	if _, err := run(t, nil, "--frontend", frontend, "--platform", "linux/arm64", src, "docker-archive:"+file+":app:arm"); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, nil, "--frontend", "oci:"+dir+":wrapped", "docker-archive:"+file, reg.host+"/from-archive:1"); err == nil ||
		!strings.Contains(err.Error(), "is not a restart-frontend image") {
		t.Errorf("error %v, want one saying the frontend image has no supervisors", err)
	}
}

// TestBadInput checks that each bad input names what is wrong and leaves
// DST untouched.
func TestBadInput(t *testing.T) {
	reg := newRegistry(t)
	frontend := reg.push(t, "frontend:test", rewraptest.Frontend(t))
	app := reg.push(t, "app:1", rewraptest.Image(t, v1.Platform{OS: "linux", Architecture: "amd64"}, []string{"/app"}, map[string]string{"/app": "app"}))
	noCmd := reg.push(t, "nocmd:1", rewraptest.Image(t, v1.Platform{OS: "linux", Architecture: "amd64"}, nil, nil))
	closed := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().String()
	}()
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{name: "no such tag", args: []string{reg.host + "/app:2"}, want: "has no image " + reg.host + "/app:2: check the name and the tag"},
		{name: "unreachable registry", args: []string{closed + "/app:1"}, want: "cannot reach the registry at http://" + closed},
		{name: "no command", args: []string{noCmd}, want: "neither ENTRYPOINT nor CMD"},
		{name: "trigger is a file of the image", args: []string{app, "-o", "RESTART_TRIGGER=/app"}, want: `invalid build arg RESTART_TRIGGER="/app": the image has a file of 3 bytes there`},
		{name: "wrong option value", args: []string{app, "-o", "RESTART_TOOLS=maybe"}, want: `invalid build arg RESTART_TOOLS="maybe": want on or off`},
		{name: "wrong option in the environment", env: []string{"RESTART_STOP_TIMEOUT=soon"}, args: []string{app}, want: "RESTART_STOP_TIMEOUT"},
		{name: "unknown option", args: []string{app, "-o", "RESTART_TRIGER=/x"}, want: "unknown build arg RESTART_TRIGER"},
		{name: "option without a value", args: []string{app, "-o", "RESTART_TOOLS"}, want: "write -o NAME=VALUE"},
		{name: "not a layout", args: []string{"oci:" + t.TempDir()}, want: "is not an OCI image layout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "dst")
			args := append([]string{"--frontend", frontend}, tc.args...)
			args = append(args, "oci:"+dst)
			_, err := run(t, tc.env, args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if _, err := os.Stat(dst); !os.IsNotExist(err) {
				t.Errorf("DST was written (%v)", err)
			}
		})
	}
}

func parseRef(t *testing.T, s string) name.Reference {
	t.Helper()
	r, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func configDigest(t *testing.T, reg *countingRegistry, ref string) string {
	t.Helper()
	d, err := reg.image(t, ref).ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func TestReleaseOf(t *testing.T) {
	for in, want := range map[string]string{
		"v1.2.3":                               "1.2.3",
		"v1.2.0-rc.1":                          "1.2.0-rc.1",
		"v0.0.0-20261207235959-0123456789ab":   "dev",
		"v1.2.4-0.20261207235959-0123456789ab": "dev",
		"(devel)":                              "dev",
		"":                                     "dev",
	} {
		if got := releaseOf(in); got != want {
			t.Errorf("releaseOf(%q) = %q, want %q", in, got, want)
		}
	}
}
