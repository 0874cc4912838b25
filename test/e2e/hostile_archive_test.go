package e2e

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

// TestHostileArchiveIsRefused streams hostile archives into a scratch image
// with RESTART_TOOLS=on the way Tilt syncs files (`docker exec -i CONTAINER
// tar -C / -x -f -`), and removes / the way a careless `rm -rf` would: each
// fails with an error that says why, and /data is as it was.
func TestHostileArchiveIsRefused(t *testing.T) {
	app := filepath.Join(t.TempDir(), "message")
	rigtest.GoBuild(t, "testdata/message", app, "")
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"Dockerfile":   "# syntax=tiltdev/restart-frontend\nFROM scratch\nCOPY data/ /data/\nCOPY message /message\nENTRYPOINT [\"/message\"]\n",
		"data/message": "v1",
	})
	copyFile(t, app, filepath.Join(dir, "message"))
	d := docker20()
	c := d.runContainer(t, d.build(t, "docker", dir, "hostile-archive", "RESTART_TOOLS=on"))
	c.waitLog("message: v1", 1)

	for _, tc := range []struct {
		name  string
		stdin []byte
		args  []string
		want  string
	}{
		{"a name with ..", hostileArchive(t, &tar.Header{Name: "../../data/message", Typeflag: tar.TypeReg, Size: 4}, "evil"),
			[]string{"tar", "-C", "/", "-x", "-f", "-"}, `"../../data/message" leads out of the folder`},
		{"a sparse file", hostileArchive(t, &tar.Header{Name: "data/big", Typeflag: tar.TypeGNUSparse, Format: tar.FormatGNU}, ""),
			[]string{"tar", "-C", "/", "-x", "-f", "-"}, "GNU sparse files are not supported"},
		{"rm -rf /", nil, []string{"rm", "-rf", "/"}, `refusing to remove "/"`},
	} {
		flags := []string{"docker", "exec"}
		if tc.stdin != nil {
			flags = append(flags, "-i")
		}
		_, err := c.d.tryRun(tc.stdin, append(append(flags, c.id), tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want an error with %q", tc.name, err, tc.want)
		}
	}

	copied := t.TempDir()
	d.run(t, nil, "docker", "cp", c.id+":/data/.", copied)
	entries, err := os.ReadDir(copied)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(copied, "message"))
	if len(entries) != 1 || err != nil || string(got) != "v1" {
		t.Errorf("/data holds %v, and message %q (%v); want only message, v1", entries, got, err)
	}
}

// hostileArchive is an archive of the one entry hdr with data.
func hostileArchive(t *testing.T, hdr *tar.Header, data string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(hdr); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
