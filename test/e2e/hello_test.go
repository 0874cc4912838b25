package e2e

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

// testHelloLiveUpdate builds examples/hello with every builder, then does
// what Tilt's live_update does: sync a changed file with tar, touch the
// trigger, and expect the new code to run in the same container.
func testHelloLiveUpdate(t *testing.T, d *daemon) {
	for _, builder := range builders {
		t.Run(builder, func(t *testing.T) {
			t.Parallel()
			dir := rigtest.CopyExample(t, "hello")
			image := d.build(t, builder, dir, "hello")
			c := d.runContainer(t, image)
			c.waitLog("version 1", 1)
			oldPid := pidOf(t, c.logs(), "version 1")
			started := c.inspect("{{.State.StartedAt}}")

			script, err := os.ReadFile(filepath.Join(dir, "hello.sh"))
			if err != nil {
				t.Fatal(err)
			}
			c.exec(tarOf(t, map[string][]byte{"app/hello.sh": bytes.ReplaceAll(script, []byte("version 1"), []byte("version 2"))}),
				"tar", "-C", "/", "-x", "-f", "-")
			c.exec(nil, "sh", "-c", "date > /.restart-proc")
			c.waitLog("version 2", 1)
			c.waitLog("pid "+oldPid+" stopping", 1)

			// Any runtime user may trigger, not only root.
			c.exec(nil, "sh", "-c", "su nobody -s /bin/sh -c 'touch /.restart-proc'")
			c.waitLog("version 2", 2)

			if got := c.inspect("{{.State.StartedAt}} {{.RestartCount}}"); got != started+" 0" {
				t.Errorf("the container restarted: %s, was %s 0", got, started)
			}

			begin := time.Now()
			d.run(t, nil, "docker", "stop", c.id)
			t.Logf("docker stop took %s", time.Since(begin))
			if code := c.inspect("{{.State.ExitCode}}"); code != "0" {
				t.Errorf("exit code after docker stop = %s, want 0 (the app's own)", code)
			}
		})
	}
}

// tarOf makes the archive Tilt streams into `tar -x`: regular files, owner
// and group zeroed.
func tarOf(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, data := range files {
		hdr := &tar.Header{Name: name, Mode: 0o755, Size: int64(len(data)), ModTime: time.Now(), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pidOf finds the pid that the hello app printed on the line with marker.
func pidOf(t *testing.T, logs, marker string) string {
	t.Helper()
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, marker) {
			if m := regexp.MustCompile(`pid (\d+)`).FindStringSubmatch(line); m != nil {
				return m[1]
			}
		}
	}
	t.Fatalf("no line with %q and a pid in:\n%s", marker, logs)
	return ""
}
