package integration

import (
	"os"
	"testing"

	gwclient "github.com/moby/buildkit/frontend/gateway/client"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
)

func TestToolsOnlyWhereMissing(t *testing.T) {
	t.Run("an image with no tar or rm gets links to the tools", func(t *testing.T) {
		t.Parallel()
		newBuild(t, "FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n").withFile("app", "x").
			withBuildArg("RESTART_TOOLS", "on").mustRun(func(b *build) {
			b.checkFile("", contract.ToolsPath, 0o755, 0)
			entries, err := b.ref("").ReadDir(b.ctx, gwclient.ReadDirRequest{Path: "/usr/local/bin"})
			if err != nil {
				t.Fatal(err)
			}
			links := map[string]string{}
			for _, e := range entries {
				if os.FileMode(e.Mode)&os.ModeSymlink != 0 {
					links[e.Path] = e.Linkname
				}
			}
			if links["tar"] != contract.ToolsPath || links["rm"] != contract.ToolsPath || len(entries) != 2 {
				t.Errorf("/usr/local/bin holds %v, want tar and rm linked to %s", entries, contract.ToolsPath)
			}
		})
	})
	t.Run("an image with both keeps its own", func(t *testing.T) {
		t.Parallel()
		newBuild(t, helloDockerfile).withBuildArg("RESTART_TOOLS", "on").mustRun(func(b *build) {
			for _, p := range []string{contract.ToolsPath, "/usr/local/bin/tar", "/usr/local/bin/rm"} {
				if st := b.stat("", p); st != nil {
					t.Errorf("%s was added to an image that has tar and rm", p)
				}
			}
		})
	})
}
