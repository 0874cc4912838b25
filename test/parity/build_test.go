package parity

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/frontend/dockerfile/builder"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"
	"github.com/tonistiigi/fsutil"

	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

// epoch pins every timestamp the builds make, so equal inputs give equal
// digests.
const epoch = "1700000000"

// secret is the value of the build secret "token" (RUN --mount=type=secret).
const secret = "s3cret"

// served is what the test's HTTP server returns for /served.txt (ADD of a
// URL); its sha256 is in testdata/corpus/add-url.Dockerfile. The server
// also serves the context's archive.tar.gz.
const served = "fetched over http\n"

// inputs are what every build of the corpus can use: the build context, the
// named context "extra", the session's secret and SSH agent, and the values
// that $NAME in a case's attrs expands to.
type inputs struct {
	context, extra, corpus string
	session                []session.Attachable
	vars                   map[string]string
}

// newInputs prepares the inputs of the corpus: it copies the build context
// and adds a generated archive to it (ADD extracts it), starts the HTTP
// server, makes an SSH key for the agent, looks up the digest of busybox
// (FROM by digest) and pushes the ONBUILD base image.
func newInputs(t *testing.T) *inputs {
	t.Helper()
	ctxDir := t.TempDir()
	if err := os.CopyFS(ctxDir, os.DirFS("testdata/context")); err != nil {
		t.Fatal(err)
	}
	writeArchive(t, filepath.Join(ctxDir, "archive.tar.gz"), map[string]string{
		"archive/a.txt":        "a from the archive\n",
		"archive/nested/b.txt": "b from the archive\n",
	})
	abs := func(p string) string {
		a, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}

	archive, err := os.ReadFile(filepath.Join(ctxDir, "archive.tar.gz"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		content := map[string]string{"/served.txt": served, "/archive.tar.gz": string(archive)}[r.URL.Path]
		http.ServeContent(w, r, path.Base(r.URL.Path), time.Unix(1600000000, 0), strings.NewReader(content))
	}))
	t.Cleanup(srv.Close)

	ssh, err := sshprovider.NewSSHAgentProvider([]sshprovider.AgentConfig{{ID: "default", Paths: []string{sshKey(t)}}})
	if err != nil {
		t.Fatal(err)
	}

	registry := os.Getenv("RIG_REGISTRY")
	out, err := exec.Command("crane", "digest", "--insecure", registry+"/library/busybox:latest").Output()
	if err != nil {
		t.Fatalf("crane digest busybox: %v", err)
	}
	in := &inputs{
		context: ctxDir,
		extra:   abs("testdata/extra"),
		corpus:  abs("testdata/corpus"),
		session: []session.Attachable{secretsprovider.FromMap(map[string][]byte{"token": []byte(secret)}), ssh},
		vars: map[string]string{
			"REGISTRY":       registry,
			"HTTP":           srv.URL,
			"BUSYBOX_DIGEST": strings.TrimSpace(string(out)),
		},
	}

	// The ONBUILD case builds FROM this image: the onbuild case of the
	// corpus, as upstream builds it.
	base := &build{in: in, file: "onbuild", fn: builder.Build, exports: []client.ExportEntry{{Type: client.ExporterImage, Attrs: map[string]string{
		"name": registry + "/parity/onbuild:latest", "push": "true", "registry.insecure": "true",
	}}}}
	if _, err := base.run(); err != nil {
		t.Fatalf("push the ONBUILD base: %v", err)
	}
	return in
}

// build is one solve of a corpus Dockerfile by fn.
type build struct {
	in      *inputs
	file    string            // testdata/corpus/FILE.Dockerfile
	attrs   map[string]string // more frontend attrs; values expand $NAME from in.vars
	fn      gwclient.BuildFunc
	exports []client.ExportEntry
}

// run solves the build and returns the exporter's response.
func (b *build) run() (map[string]string, error) {
	fss := map[string]string{"context": b.in.context, "dockerfile": b.in.corpus, "extra": b.in.extra}
	mounts := map[string]fsutil.FS{}
	for name, dir := range fss {
		fs, err := fsutil.NewFS(dir)
		if err != nil {
			return nil, err
		}
		mounts[name] = fs
	}
	attrs := map[string]string{
		"filename":                    b.file + ".Dockerfile",
		"build-arg:SOURCE_DATE_EPOCH": epoch,
		// Where the supervisors come from when the frontend runs in-process;
		// the same for upstream's builds, so the attrs differ in RESTART_* only.
		"source": rigtest.FrontendImage,
	}
	for k, v := range b.attrs {
		attrs[k] = os.Expand(v, func(name string) string { return b.in.vars[name] })
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute) // a hang guard
	defer cancel()
	resp, err := bk.Build(ctx, client.SolveOpt{
		LocalMounts:         mounts,
		FrontendAttrs:       attrs,
		Exports:             b.exports,
		Session:             b.in.session,
		AllowedEntitlements: []string{"network.host"},
	}, "restart-frontend-parity", b.fn, nil)
	if err != nil {
		return nil, err
	}
	return resp.ExporterResponse, nil
}

// toLayout exports the build as an OCI layout in dir and returns the digest
// of its manifest (one platform) or index (several). The exporter writes a
// tarball; its blobs are added to dir.
func (b *build) toLayout(t *testing.T, dir string) string {
	t.Helper()
	f, err := os.CreateTemp(dir, "export-*.tar")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	b.exports = []client.ExportEntry{{Type: client.ExporterOCI, Output: func(map[string]string) (io.WriteCloser, error) { return f, nil }}}
	resp, err := b.run()
	if err != nil {
		f.Close()
		t.Fatalf("build %s: %v", b.file, err)
	}
	if err := addBlobs(f.Name(), dir); err != nil {
		t.Fatalf("build %s: %v", b.file, err)
	}
	d := resp[exptypes.ExporterImageDigestKey]
	if d == "" {
		t.Fatalf("build %s: no %s in the exporter's response %v", b.file, exptypes.ExporterImageDigestKey, resp)
	}
	return d
}

// addBlobs copies the blobs of the OCI tarball name into the layout dir.
func addBlobs(name, dir string) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeReg || !strings.HasPrefix(hdr.Name, "blobs/") {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(hdr.Name))
		if _, err := os.Stat(p); err == nil {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		dt, err := io.ReadAll(tr)
		if err != nil {
			return err
		}
		if err := os.WriteFile(p, dt, 0o644); err != nil {
			return err
		}
	}
}

// sshKey writes a new ed25519 key for the build's SSH agent and returns its
// path.
func sshKey(t *testing.T) string {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// writeArchive writes a gzipped tar of files with fixed owners and times.
func writeArchive(t *testing.T, name string, files map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, p := range sortedKeys(files) {
		hdr := &tar.Header{Name: p, Mode: 0o640, Uid: 1000, Gid: 1000, Size: int64(len(files[p])), ModTime: time.Unix(1500000000, 0), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(files[p])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}
