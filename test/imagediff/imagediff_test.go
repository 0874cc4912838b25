package imagediff

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// layer writes files (name → content; a name ending in / is a folder) into
// an uncompressed layer.
func layer(t *testing.T, mtime time.Time, files ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		hdr := &tar.Header{Name: f[0], Mode: 0o755, ModTime: mtime, Typeflag: tar.TypeReg, Size: int64(len(f[1]))}
		if strings.HasSuffix(f[0], "/") {
			hdr.Typeflag, hdr.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f[1])); err != nil && hdr.Size > 0 {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func read(t *testing.T, data []byte) map[string]File {
	t.Helper()
	files, err := ReadLayer(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestFiles(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	a := read(t, layer(t, t0, [2]string{"bin/", ""}, [2]string{"bin/same", "x"}, [2]string{"bin/changed", "one"}, [2]string{"gone", "x"}))
	b := read(t, layer(t, t0.Add(time.Second), [2]string{"bin/", ""}, [2]string{"bin/same", "x"}, [2]string{"bin/changed", "two!"}, [2]string{"new", "x"}))
	got := strings.Join(Files(a, b), "\n")
	for _, want := range []string{
		"bin/changed: time 2023-11-14T22:13:20Z, then 2023-11-14T22:13:21Z; contents differ (3 bytes, then 4; first difference at byte 0)",
		"gone: only in the first",
		"new: only in the second",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("no line %q in:\n%s", want, got)
		}
	}
	if same := read(t, layer(t, t0, [2]string{"a", "x"})); len(Files(same, same)) != 0 {
		t.Errorf("a layer differs from itself: %q", Files(same, same))
	}
}

// TestBinaries links one program twice with two Go build IDs, as two builds
// of the same code with different action hashes do.
func TestBinaries(t *testing.T) {
	if testing.Short() {
		t.Skip("links a program twice (go build)")
	}
	dir := t.TempDir()
	for name, content := range map[string]string{
		"go.mod":  "module hello\n\ngo 1.26\n",
		"main.go": "package main\n\nfunc main() { println(\"hi\") }\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := func(ldflags string) []byte {
		out := filepath.Join(dir, "hello")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", out, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=386")
		if msg, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, msg)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	one, two, none := bin("-s -w -buildid=one/one"), bin("-s -w -buildid=two/two"), bin("-s -w -buildid=")
	// The linker derives the GNU build ID from the Go one: both differ,
	// and no section of code or data does.
	if got, want := Binaries(one, two), `executable: Go build ID "one/one", then "two/two"; GNU build ID `; !strings.HasPrefix(got, want) || strings.Contains(got, "sections") {
		t.Errorf("two build IDs: got %q, want %q and the GNU build ID only", got, want)
	}
	if !bytes.Equal(none, bin("-s -w -buildid=")) {
		t.Errorf("two links without a build ID differ: %s", Binaries(none, bin("-s -w -buildid=")))
	}
	if got := Binaries([]byte("#!/bin/sh\n"), []byte("#!/bin/bash\n")); got != "contents differ (10 bytes, then 12; first difference at byte 7)" {
		t.Errorf("two scripts: %q", got)
	}
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{`{"created":"1","os":"linux"}`, `{"created":"2","os":"linux"}`, "created differ"},
		{`{"os":"linux"}`, `{"os": "linux", "rootfs":{}}`, "rootfs differ"},
		{`{"os":"linux"}`, `{ "os":"linux" }`, "same fields, other bytes"},
		{`{`, `{}`, "not JSON"},
	} {
		if got := Config([]byte(tc.a), []byte(tc.b)); got != tc.want {
			t.Errorf("Config(%s, %s) = %q, want %q", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestImages(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	image := func(content string) []string {
		data := layer(t, t0, [2]string{"frontend", content})
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
		if err != nil {
			t.Fatal(err)
		}
		img, err := mutate.AppendLayers(empty.Image, l)
		if err != nil {
			t.Fatal(err)
		}
		base, err := mutate.AppendLayers(empty.Image, l)
		if err != nil {
			t.Fatal(err)
		}
		d, err := Images(base, img)
		if err != nil {
			t.Fatal(err)
		}
		if len(d) != 0 {
			t.Fatalf("an image differs from itself: %q", d)
		}
		other, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(layer(t, t0, [2]string{"frontend", content + "!"}))), nil
		})
		if err != nil {
			t.Fatal(err)
		}
		img2, err := mutate.AppendLayers(empty.Image, other)
		if err != nil {
			t.Fatal(err)
		}
		d, err = Images(img, img2)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := image("abc")
	if len(d) != 2 || !strings.HasPrefix(d[0], "config: rootfs differ") || !strings.Contains(d[1], "frontend: contents differ (3 bytes, then 4; first difference at byte 3)") {
		t.Errorf("got %q", d)
	}
}
