package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

// testLiveUpdateWithoutShellOrTar builds images with no shell and no tar
// (scratch, and distroless running as a non-root user) with
// RESTART_TOOLS=on and does Tilt's whole live-update loop in them as the
// container's user: sync with tar, delete with rm -rf, restart with the
// list-form run step.
func testLiveUpdateWithoutShellOrTar(t *testing.T, d *daemon) {
	app := filepath.Join(t.TempDir(), "message")
	rigtest.GoBuild(t, "testdata/message", app, "")
	for _, tc := range []struct {
		name, dockerfile, builder string
	}{
		{"scratch", "FROM scratch\nCOPY data/ /data/\n", "docker"},
		{"scratch", "FROM scratch\nCOPY data/ /data/\n", "buildx"},
		{"distroless-nonroot", "FROM distroless/static:nonroot\nCOPY --chown=65532:65532 data/ /data/\n", "docker"},
	} {
		t.Run(tc.name+"/"+tc.builder, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			df := "# syntax=tiltdev/restart-frontend\n" + tc.dockerfile + "COPY message /message\nENTRYPOINT [\"/message\"]\n"
			writeFiles(t, dir, map[string]string{"Dockerfile": df, "data/message": "v1", "data/old": "deleted by live update"})
			copyFile(t, app, filepath.Join(dir, "message"))
			image := d.build(t, tc.builder, dir, tc.name, "RESTART_TOOLS=on")
			c := d.runContainer(t, image)
			c.waitLog("message: v1", 1)

			c.exec(tarOf(t, map[string][]byte{"data/message": []byte("v2")}), "tar", "-C", "/", "-x", "-f", "-")
			c.exec(nil, "rm", "-rf", "/data/old")
			c.exec(nil, "/.restart/supervisor", "restart")
			c.waitLog("message: v2", 1)

			if _, err := c.d.tryRun(nil, "docker", "exec", c.id, "/.restart/tools", "tar", "-t", "-f", "/data/message"); err == nil {
				t.Error("tar -t was accepted; only extraction is supported")
			}
			if _, err := c.d.tryRun(nil, "docker", "exec", c.id, "rm", "/data/old"); err == nil {
				t.Error("/data/old survived rm -rf")
			}
		})
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	dt, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, dt, 0o755); err != nil {
		t.Fatal(err)
	}
}
