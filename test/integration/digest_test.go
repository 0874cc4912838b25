package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"testing"

	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/frontend/dockerfile/builder"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// epoch pins every timestamp, so equal inputs give equal digests.
const epoch = "1700000000"

// TestOffIsUpstreamToTheDigest builds one Dockerfile with BuildKit's
// dockerfile frontend and with ours switched off: the images must be the
// same to the digest.
func TestOffIsUpstreamToTheDigest(t *testing.T) {
	t.Parallel()
	const df = "FROM busybox\nRUN echo built > /built\nENTRYPOINT [\"cat\", \"/built\"]\n"
	upstream := newBuild(t, df).withBuildArg("SOURCE_DATE_EPOCH", epoch).pushTo("integration/parity:upstream")
	upstream.fn = builder.Build
	upstream.mustRun(nil)
	ours := newBuild(t, df).withBuildArg("SOURCE_DATE_EPOCH", epoch).withBuildArg("RESTART_PROCESS", "off").pushTo("integration/parity:off")
	ours.mustRun(nil)

	up, off := upstream.resp.ExporterResponse[exptypes.ExporterImageDigestKey], ours.resp.ExporterResponse[exptypes.ExporterImageDigestKey]
	if up == "" || up != off {
		t.Errorf("RESTART_PROCESS=off built %q, upstream %q", off, up)
	}
}

// TestSupervisorLayerIsSharedByEveryImage builds two different images: the
// layer the frontend appends must be the same blob in both (so registries
// store it once), on daemons with MergeOp.
func TestSupervisorLayerIsSharedByEveryImage(t *testing.T) {
	t.Parallel()
	a := newBuild(t, "FROM busybox\nRUN echo a > /a\n").pushTo("integration/shared:a")
	b := newBuild(t, "FROM busybox\nCOPY b /b\n").withFile("b", "b").pushTo("integration/shared:b")
	a.mustRun(nil)
	b.mustRun(nil)
	la, lb := lastLayer(t, "integration/shared:a"), lastLayer(t, "integration/shared:b")
	if la != lb {
		t.Errorf("the supervisor layers differ: %s and %s", la, lb)
	}
}

// lastLayer returns the digest of the last layer of an image in the rig's
// registry.
func lastLayer(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command("crane", "manifest", "--insecure", os.Getenv("RIG_REGISTRY")+"/"+name).Output()
	if err != nil {
		t.Fatalf("crane manifest %s: %v", name, err)
	}
	var m ocispecs.Manifest
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) == 0 {
		t.Fatalf("%s has no layers", name)
	}
	return m.Layers[len(m.Layers)-1].Digest.String()
}
