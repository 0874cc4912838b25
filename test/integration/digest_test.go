package integration

import (
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"testing"
	"time"

	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/frontend/dockerfile/builder"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
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

// TestSupervisorFolderIsDatedByTheEpoch: every entry of the supervisor
// folder, the folder itself too, has the build's SOURCE_DATE_EPOCH (else
// the Unix epoch), and it holds nothing but the supervisor. A folder dated
// by the time of the build would make the layer, and so the image, differ
// from one build to the next once the cache is gone (BuildKit's own
// TestWorkdirSourceDateEpochReproducible).
func TestSupervisorFolderIsDatedByTheEpoch(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]time.Time{"SOURCE_DATE_EPOCH": time.Unix(1700000000, 0), "no epoch": time.Unix(0, 0)} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b := newBuild(t, "FROM busybox\nWORKDIR /mydir\n")
			if name == "SOURCE_DATE_EPOCH" {
				b.withBuildArg("SOURCE_DATE_EPOCH", epoch)
			}
			b.mustRun(func(b *build) {
				for _, p := range []string{contract.SupervisorDir, contract.SupervisorPath} {
					if st := b.stat("", p); st == nil {
						t.Errorf("%s is missing", p)
					} else if got := time.Unix(0, st.ModTime); !got.Equal(want) {
						t.Errorf("%s is dated %s, want %s", p, got.UTC(), want.UTC())
					}
				}
				entries, err := b.ref("").ReadDir(b.ctx, gwclient.ReadDirRequest{Path: contract.SupervisorDir})
				if err != nil {
					t.Fatal(err)
				}
				if len(entries) != 1 || entries[0].Path != path.Base(contract.SupervisorPath) {
					t.Errorf("%s holds %v, want the supervisor alone", contract.SupervisorDir, entries)
				}
			})
		})
	}
}
