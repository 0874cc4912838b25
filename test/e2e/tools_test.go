package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestLiveUpdateWithoutShellOrTar builds a FROM scratch image with
// RESTART_TOOLS=on and does Tilt's whole live-update loop in it: sync with
// tar, delete with rm -rf, restart with the list-form run step.
func TestLiveUpdateWithoutShellOrTar(t *testing.T) {
	dir := t.TempDir()
	app := exec.Command("go", "build", "-o", filepath.Join(dir, "message"), "./testdata/message")
	app.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := app.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	const df = "# syntax=tiltdev/restart-frontend\nFROM scratch\nCOPY message /message\nCOPY data/ /data/\nENTRYPOINT [\"/message\"]\n"
	for name, content := range map[string]string{"Dockerfile": df, "data/message": "v1", "data/old": "deleted by live update"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, builder := range []string{"docker", "buildx"} {
		t.Run(builder, func(t *testing.T) {
			t.Parallel()
			image := build(t, builder, dir, "scratch-tools", "RESTART_TOOLS=on")
			c := runContainer(t, image)
			c.waitLog("message: v1", 1)

			c.exec(tarOf(t, map[string][]byte{"data/message": []byte("v2")}), "tar", "-C", "/", "-x", "-f", "-")
			c.exec(nil, "rm", "-rf", "/data/old")
			c.exec(nil, "/.restart/supervisor", "restart")
			c.waitLog("message: v2", 1)

			if _, err := tryRun(nil, "docker", "exec", c.id, "/.restart/tools", "tar", "-t", "-f", "/data/message"); err == nil {
				t.Error("tar -t was accepted; only extraction is supported")
			}
			if _, err := tryRun(nil, "docker", "exec", c.id, "rm", "/data/old"); err == nil {
				t.Error("/data/old survived rm -rf")
			}
		})
	}
}
