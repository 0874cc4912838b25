package transport

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in                   string
		kind                 Kind
		path, tag, ref, fail string
	}{
		{in: "alpine", kind: Registry, ref: "index.docker.io/library/alpine:latest"},
		{in: "localhost:5000/app:1", kind: Registry, ref: "localhost:5000/app:1"},
		{in: "docker://localhost:5000/app", kind: Registry, ref: "localhost:5000/app:latest"},
		{in: "docker-daemon:app:dev", kind: Daemon, ref: "index.docker.io/library/app:dev"},
		{in: "oci:out/image", kind: Layout, path: "out/image"},
		{in: "oci:out/image:v1", kind: Layout, path: "out/image", tag: "v1"},
		{in: "oci:/abs/dir", kind: Layout, path: "/abs/dir"},
		{in: "docker-archive:app.tar", kind: DockerArchive, path: "app.tar"},
		{in: "docker-archive:app.tar:app:v1", kind: DockerArchive, path: "app.tar", ref: "index.docker.io/library/app:v1"},
		{in: "", fail: "empty image name"},
		{in: "docker:app", fail: "write a registry reference as docker://REF"},
		{in: "app:v1", kind: Registry, ref: "index.docker.io/library/app:v1"},
		{in: "containers-storage:app", fail: `unsupported transport "containers-storage"`},
		{in: "oci:", fail: "give the layout's folder"},
		{in: "docker-archive:", fail: "give the archive's file"},
		{in: "docker-daemon:app@sha256:" + strings.Repeat("a", 64), fail: "a daemon stores images by tag"},
		{in: "UPPER/case", fail: "invalid image reference"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			l, err := Parse(tc.in)
			if tc.fail != "" {
				if err == nil || !strings.Contains(err.Error(), tc.fail) {
					t.Fatalf("error %v, want one containing %q", err, tc.fail)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ref := ""
			if l.Ref != nil {
				ref = l.Ref.Name()
			}
			if l.Kind != tc.kind || l.Path != tc.path || l.Tag != tc.tag || ref != tc.ref {
				t.Errorf("got %s %q %q %q, want %s %q %q %q", l.Kind, l.Path, l.Tag, ref, tc.kind, tc.path, tc.tag, tc.ref)
			}
		})
	}
}

func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(256, 2)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func roundTrip(t *testing.T, name string, img v1.Image) {
	t.Helper()
	l, err := Parse(name)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := l.Write(ctx, Artifact{Image: img}); err != nil {
		t.Fatal(err)
	}
	a, err := l.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.ConfigName()
	got, err := a.Image.ConfigName()
	if err != nil || got != want {
		t.Errorf("read back config %s (%v), want %s", got, err, want)
	}
}

func TestLayout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	a, b := randomImage(t), randomImage(t)
	roundTrip(t, "oci:"+dir+":a", a)
	roundTrip(t, "oci:"+dir+":b", b)
	roundTrip(t, "oci:"+dir+":a", b) // replaces a

	l, _ := Parse("oci:" + dir)
	_, err := l.Read(context.Background())
	if want := `holds 2 images and none was chosen: write oci:` + dir + `:TAG with one of the tags ["a" "b"]`; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want one containing %q", err, want)
	}
	l, _ = Parse("oci:" + dir + ":c")
	if _, err := l.Read(context.Background()); err == nil || !strings.Contains(err.Error(), `no image tagged "c"`) {
		t.Errorf("error %v, want one naming the missing tag", err)
	}
	l, _ = Parse("oci:" + t.TempDir())
	if _, err := l.Read(context.Background()); err == nil || !strings.Contains(err.Error(), "is not an OCI image layout") {
		t.Errorf("error %v, want one saying it is not a layout", err)
	}
}

func TestLayoutWriteLeavesOtherFoldersAlone(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "keep"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	l, _ := Parse("oci:" + dir)
	if err := l.Write(context.Background(), Artifact{Image: randomImage(t)}); err == nil || !strings.Contains(err.Error(), "not an OCI image layout") {
		t.Errorf("error %v, want one refusing a folder that is not a layout", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "keep")); err != nil {
		t.Error(err)
	}
}

func TestArchive(t *testing.T) {
	file := filepath.Join(t.TempDir(), "app.tar")
	roundTrip(t, "docker-archive:"+file, randomImage(t))
	roundTrip(t, "docker-archive:"+file+":app:v1", randomImage(t))
	l, _ := Parse("docker-archive:" + filepath.Join(t.TempDir(), "missing.tar"))
	if _, err := l.Read(context.Background()); err == nil || !strings.Contains(err.Error(), "no archive there") {
		t.Errorf("error %v, want one saying there is no archive", err)
	}
}

func TestDaemonUnreachable(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "docker.sock")
	t.Setenv("DOCKER_HOST", "unix://"+sock)
	l, _ := Parse("docker-daemon:app:dev")
	_, err := l.Read(context.Background())
	if want := "the daemon at DOCKER_HOST=unix://" + sock; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want one containing %q", err, want)
	}
}
