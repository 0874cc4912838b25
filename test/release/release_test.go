// Package release tests `make release` (hack/release) on the rig: a release
// into the rig's registry holds every platform of pkg/contract.Platforms with its
// provenance and OCI annotations under the semver tags, serves
// `# syntax=tiltdev/restart-frontend:MAJOR`, and gives the same images when
// made again with no cache; a bad VERSION fails before anything is built.
//
// The release leaves :latest alone (RELEASE_LATEST=0): the other test
// packages run at the same time on the image `make image` pushed there.
package release

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
	"github.com/tilt-dev/restart-frontend/test/imagediff"
	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

// testVersion is a version no real release will have, so its tags are the
// test's own.
const (
	testVersion = "99.0.0"
	testMajor   = "99"
)

var root = filepath.Join("..", "..")

func TestMain(m *testing.M) {
	rigtest.Require("release", "BUILDKIT_HOST", "DOCKER_HOST", "RIG_REGISTRY")
	os.Exit(m.Run())
}

// release runs hack/release with env added and returns its combined output.
func release(env ...string) (string, error) {
	cmd := exec.Command(filepath.Join(root, "hack", "release"))
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestBadVersion(t *testing.T) {
	for version, want := range map[string]string{
		"":            "VERSION is not set",
		"v1.2.3":      "without the v, e.g. VERSION=1.2.3",
		"1.2":         "is not a release version",
		"01.2.3":      "is not a release version",
		"1.2.3+build": "is not a release version",
	} {
		out, err := release("VERSION=" + version)
		if err == nil {
			t.Errorf("VERSION=%q: the release did not fail:\n%s", version, out)
		} else if !strings.Contains(out, want) {
			t.Errorf("VERSION=%q: want an error with %q, got:\n%s", version, want, out)
		}
	}
}

func TestRelease(t *testing.T) {
	registry := os.Getenv("RIG_REGISTRY")
	image := registry + "/tiltdev/restart-frontend"
	dir := t.TempDir()
	revision := git(t, "rev-parse", "HEAD")
	created := time.Unix(atoi(t, git(t, "log", "-1", "--format=%ct")), 0).UTC().Format(time.RFC3339)

	digest := releaseDigest(t, revision, filepath.Join(dir, "first.json"))
	index := readIndex(t, image+":"+testVersion)
	for _, tag := range []string{testVersion, "99.0", testMajor} {
		if got := strings.TrimSpace(run(t, "crane", "digest", image+":"+tag)); got != digest {
			t.Errorf(":%s is %s, want the release's index %s", tag, got, digest)
		}
	}

	want := map[string]string{
		"org.opencontainers.image.source":   "https://github.com/tilt-dev/restart-frontend",
		"org.opencontainers.image.revision": revision,
		"org.opencontainers.image.version":  testVersion,
		"org.opencontainers.image.created":  created,
		"org.opencontainers.image.licenses": "Apache-2.0",
	}
	checkAnnotations(t, "the index", index.Annotations, want)
	images := platformImages(index)
	var got []string
	for p, m := range images {
		got = append(got, p)
		checkAnnotations(t, p, readManifest(t, image+"@"+m.Digest.String()).Annotations, want)
	}
	slices.Sort(got)
	if all := slices.Sorted(slices.Values(contract.Platforms)); !slices.Equal(got, all) {
		t.Errorf("the release has the platforms %v, want %v", got, all)
	}
	for p, m := range images {
		if !hasProvenance(index, m.Digest.String()) {
			t.Errorf("the %s image has no provenance attestation", p)
		}
	}

	t.Run("syntax", func(t *testing.T) {
		ctx := t.TempDir()
		dockerfile := "# syntax=tiltdev/restart-frontend:" + testMajor + "\nFROM busybox\nCMD [\"true\"]\n"
		if err := os.WriteFile(filepath.Join(ctx, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
			t.Fatal(err)
		}
		built := registry + "/release-test/syntax:latest"
		run(t, "buildctl", "build", "--frontend", "dockerfile.v0", "--local", "context="+ctx, "--local", "dockerfile="+ctx,
			"--output", "type=image,name="+built+",push=true,registry.insecure=true")
		var cfg ocispecs.Image
		if err := json.Unmarshal([]byte(run(t, "crane", "config", built)), &cfg); err != nil {
			t.Fatal(err)
		}
		if v := cfg.Config.Labels[contract.LabelVersion]; v != testVersion {
			t.Errorf("built with # syntax=tiltdev/restart-frontend:%s, the image says frontend %q, want %s", testMajor, v, testVersion)
		}
	})

	// The images are what a user pins and what each provenance attestation
	// names as its subject: a second release of the commit, every step run
	// again, must give the same ones. The index cannot repeat: each
	// attestation records its own build's start and finish times and
	// invocation id, and BuildKit keeps it so (moby/buildkit#3421).
	//
	// The second release builds two platforms, not eight: every image holds
	// the supervisors and tools of all eight platforms (one stage builds them
	// all), so two images check every supervisor binary, and two gateway
	// binaries: linux/amd64, the common one, and linux/386, the one whose
	// build ID once differed (issue 26). The other six gateways are the same
	// code cross-compiled the same way; rebuilding them took 5 more minutes.
	t.Run("reproducible", func(t *testing.T) {
		again := []string{"linux/amd64", "linux/386"}
		releaseDigest(t, revision, filepath.Join(dir, "second.json"), "RELEASE_NO_CACHE=1", "RELEASE_PLATFORMS="+strings.Join(again, ","))
		second := platformImages(readIndex(t, image+":"+testVersion))
		for _, p := range again {
			first, ok := images[p]
			if !ok || second[p].Digest == "" {
				t.Errorf("%s: not in both releases", p)
				continue
			}
			if second[p].Digest == first.Digest {
				continue
			}
			t.Errorf("%s: the second release's image is %s, the first's %s:\n%s", p, second[p].Digest, first.Digest,
				strings.Join(imageDiff(t, image+"@"+first.Digest.String(), image+"@"+second[p].Digest.String()), "\n"))
		}
	})
}

// imageDiff names what differs between two images of the registry: each
// file, and for executables the part (build IDs, sections).
func imageDiff(t *testing.T, a, b string) []string {
	t.Helper()
	img := func(ref string) v1.Image {
		r, err := name.ParseReference(ref, name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		i, err := remote.Image(r)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		return i
	}
	d, err := imagediff.Images(img(a), img(b))
	if err != nil {
		t.Fatalf("comparing %s and %s: %v", a, b, err)
	}
	return d
}

// releaseDigest releases testVersion of revision, writing buildctl's
// metadata to metadata, and returns the index digest it pushed.
func releaseDigest(t *testing.T, revision, metadata string, env ...string) string {
	t.Helper()
	out, err := release(append(env, "VERSION="+testVersion, "RELEASE_LATEST=0", "RELEASE_METADATA="+metadata, "RELEASE_REVISION="+revision)...)
	if err != nil {
		t.Fatalf("hack/release: %v\n%s", err, out)
	}
	var md map[string]any
	dt, err := os.ReadFile(metadata)
	if err == nil {
		err = json.Unmarshal(dt, &md)
	}
	digest, _ := md["containerimage.digest"].(string)
	if err != nil || digest == "" {
		t.Fatalf("no containerimage.digest in %s (%v):\n%s", metadata, err, dt)
	}
	return digest
}

func checkAnnotations(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: annotation %s = %q, want %q", what, k, got[k], v)
		}
	}
}

// platformImages returns the index's images by platform, without the
// attestation manifests (platform unknown/unknown).
func platformImages(index ocispecs.Index) map[string]ocispecs.Descriptor {
	images := map[string]ocispecs.Descriptor{}
	for _, m := range index.Manifests {
		if m.Platform != nil && m.Platform.OS != "unknown" {
			images[platforms.Format(*m.Platform)] = m
		}
	}
	return images
}

// hasProvenance says whether the index has an attestation manifest for the
// image digest, as BuildKit attaches it.
func hasProvenance(index ocispecs.Index, digest string) bool {
	for _, m := range index.Manifests {
		if m.Annotations["vnd.docker.reference.type"] == "attestation-manifest" && m.Annotations["vnd.docker.reference.digest"] == digest {
			return true
		}
	}
	return false
}

func readIndex(t *testing.T, ref string) ocispecs.Index {
	t.Helper()
	var index ocispecs.Index
	if err := json.Unmarshal([]byte(run(t, "crane", "manifest", ref)), &index); err != nil {
		t.Fatalf("the index %s: %v", ref, err)
	}
	return index
}

func readManifest(t *testing.T, ref string) ocispecs.Manifest {
	t.Helper()
	var m ocispecs.Manifest
	if err := json.Unmarshal([]byte(run(t, "crane", "manifest", ref)), &m); err != nil {
		t.Fatalf("the manifest %s: %v", ref, err)
	}
	return m
}

func git(t *testing.T, args ...string) string {
	t.Helper()
	return strings.TrimSpace(run(t, append([]string{"git", "-C", root}, args...)...))
}

func run(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(args[0], args[1:]...).Output()
	if err != nil {
		msg := ""
		if ee, ok := err.(*exec.ExitError); ok {
			msg = string(ee.Stderr)
		}
		t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, msg)
	}
	return string(out)
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}
