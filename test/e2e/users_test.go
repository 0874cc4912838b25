package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// testAnyUserCanTrigger runs an image whose USER is not root as yet another
// uid (as a Kubernetes runAsUser would) and triggers restarts as a third uid
// and with the supervisor's own shell-free restart command.
func testAnyUserCanTrigger(t *testing.T, d *daemon) {
	t.Parallel()
	dir := t.TempDir()
	const df = "# syntax=tiltdev/restart-frontend\nFROM busybox\nUSER nobody\nCMD [\"sh\", \"-c\", \"echo started as $(id -u); exec sleep 1000\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	image := d.build(t, "docker", dir, "users")
	c := d.runContainer(t, "-u", "1234:1234", image)
	c.waitLog("started as 1234", 1)

	d.run(t, nil, "docker", "exec", "-u", "4321:4321", c.id, "touch", "/.restart-proc")
	c.waitLog("started as 1234", 2)

	c.exec(nil, "/.restart/supervisor", "restart")
	c.waitLog("started as 1234", 3)
}
