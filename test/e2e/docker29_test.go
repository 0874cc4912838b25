package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
	"github.com/tilt-dev/restart-frontend/pkg/wrap"
	"github.com/tilt-dev/restart-frontend/test/rigtest"
)

// What only Docker 29 (BuildKit v0.33, the containerd image store) does with
// the frontend: buildx's docker driver, images of several platforms in the
// daemon's store, attestations, the shared supervisor layer of MergeOp, and
// the wrapped config as `docker image inspect` shows it.
var docker29Tests = []dockerTest{
	testBuildxDockerDriverLoad,
	testMultiPlatformSupervisors,
	testProvenanceThroughDocker,
	testSupervisorLayerSharedInTheStore,
}

// testBuildxDockerDriverLoad builds examples/hello with `docker buildx build`
// on the default builder (the docker driver: the daemon's own BuildKit) with
// --load, and runs it under the supervisor.
func testBuildxDockerDriverLoad(t *testing.T, d *daemon) {
	t.Parallel()
	if out := d.run(t, nil, "docker", "buildx", "inspect", "default"); !regexp.MustCompile(`(?m)^Driver:\s+docker$`).MatchString(out) {
		t.Fatalf("the default builder does not have the docker driver:\n%s", out)
	}
	image := os.Getenv("RIG_REGISTRY") + "/e2e/hello:buildx-default-docker29"
	d.run(t, nil, "docker", "buildx", "build", "--builder", "default", "--load", "-t", image, rigtest.CopyExample(t, "hello"))
	c := d.runContainer(t, image)
	c.waitLog("version 1", 1)
	if path := c.inspect("{{.Path}}"); path != contract.SupervisorPath {
		t.Errorf("the container runs %s, want the supervisor", path)
	}
}

// multiPlatformDockerfile cross-compiles examples/scratch's counter on the
// build platform into a scratch image for each target platform: the rig's
// base images are amd64 only, and nothing of the final stage runs.
const multiPlatformDockerfile = `# syntax=tiltdev/restart-frontend
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
ARG TARGETARCH
WORKDIR /src
COPY go.mod *.go ./
RUN CGO_ENABLED=0 GOARCH=$TARGETARCH go build -trimpath -o /out/counter .

FROM scratch
COPY --from=build /out/counter /counter
ENTRYPOINT ["/counter"]
`

// testMultiPlatformSupervisors builds one image for linux/amd64 and
// linux/arm64 with `docker build --platform`, which only the containerd image
// store keeps as one image: each platform's image carries the supervisor
// built for that platform, beside the app built for it.
func testMultiPlatformSupervisors(t *testing.T, d *daemon) {
	t.Parallel()
	dir := rigtest.CopyExample(t, "scratch")
	rigtest.WriteFile(t, dir, "Dockerfile", multiPlatformDockerfile)
	image := os.Getenv("RIG_REGISTRY") + "/e2e/multi-platform:docker29"
	d.run(t, nil, "docker", "build", "--platform", "linux/amd64,linux/arm64", "-t", image, dir)
	for platform, want := range map[string]elf.Machine{"linux/amd64": elf.EM_X86_64, "linux/arm64": elf.EM_AARCH64} {
		id := strings.TrimSpace(d.run(t, nil, "docker", "create", "--platform", platform, image))
		t.Cleanup(func() { _, _ = d.tryRun(nil, "docker", "rm", "-f", id) })
		for _, file := range []string{contract.SupervisorPath, "/counter"} {
			if got := archiveELFMachine(t, []byte(d.run(t, nil, "docker", "cp", id+":"+file, "-"))); got != want {
				t.Errorf("%s of the %s image is built for %s, want %s", file, platform, got, want)
			}
		}
	}
}

// archiveELFMachine is the machine of the one ELF file in a `docker cp … -`
// archive.
func archiveELFMachine(t *testing.T, archive []byte) elf.Machine {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(archive))
	if _, err := tr.Next(); err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(tr)
	if err != nil {
		t.Fatal(err)
	}
	return elfMachine(t, data)
}

// testProvenanceThroughDocker builds with a max-mode provenance attestation
// through `docker buildx build` on the docker driver and pushes it: the
// index holds the wrapped image and one attestation, whose statement is about
// that image and is the full (max) provenance of the user's build.
func testProvenanceThroughDocker(t *testing.T, d *daemon) {
	t.Parallel()
	dir := t.TempDir()
	rigtest.WriteFile(t, dir, "Dockerfile", "# syntax=tiltdev/restart-frontend\nFROM busybox\nRUN echo hi > /hi\nCMD [\"cat\", \"/hi\"]\n")
	image := os.Getenv("RIG_REGISTRY") + "/e2e/provenance:docker29"
	d.run(t, nil, "docker", "buildx", "build", "--builder", "default", "--provenance=mode=max", "--push", "-t", image, dir)

	var index struct {
		Manifests []struct {
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal([]byte(d.run(t, nil, "crane", "manifest", "--insecure", image)), &index); err != nil {
		t.Fatal(err)
	}
	var images, attestations []string
	for _, m := range index.Manifests {
		if m.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
			attestations = append(attestations, m.Digest)
			if ref := m.Annotations["vnd.docker.reference.digest"]; len(images) == 1 && ref != images[0] {
				t.Errorf("the attestation is about %s, not the image %s", ref, images[0])
			}
		} else {
			images = append(images, m.Digest)
		}
	}
	if len(images) != 1 || len(attestations) != 1 {
		t.Fatalf("index has images %v and attestations %v; want one of each", images, attestations)
	}
	config := d.run(t, nil, "crane", "config", "--insecure", image+"@"+images[0])
	if !strings.Contains(config, contract.SupervisorPath) {
		t.Errorf("the attested image is not the wrapped one: %s", config)
	}

	var att struct {
		Layers []struct {
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"layers"`
	}
	if err := json.Unmarshal([]byte(d.run(t, nil, "crane", "manifest", "--insecure", image+"@"+attestations[0])), &att); err != nil {
		t.Fatal(err)
	}
	if len(att.Layers) != 1 || !strings.Contains(att.Layers[0].Annotations["in-toto.io/predicate-type"], "slsa.dev/provenance") {
		t.Fatalf("the attestation is not one SLSA provenance statement: %+v", att.Layers)
	}
	var statement struct {
		Subject []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		Predicate json.RawMessage `json:"predicate"`
	}
	repo, _, _ := strings.Cut(image, ":docker29")
	if err := json.Unmarshal([]byte(d.run(t, nil, "crane", "blob", "--insecure", repo+"@"+att.Layers[0].Digest)), &statement); err != nil {
		t.Fatal(err)
	}
	if len(statement.Subject) != 1 || "sha256:"+statement.Subject[0].Digest["sha256"] != images[0] {
		t.Errorf("the provenance's subject is %+v, want the image %s", statement.Subject, images[0])
	}
	// Max mode records the build's LLB (JSON-escaped: no ">"); min mode
	// does not.
	for _, want := range []string{`"buildConfig"`, "echo hi "} {
		if !bytes.Contains(statement.Predicate, []byte(want)) {
			t.Errorf("the provenance has no %s: not the max-mode provenance of the Dockerfile's build", want)
		}
	}
}

// testSupervisorLayerSharedInTheStore builds two different images with
// `docker build`: MergeOp makes their last layer, the supervisor's, the same
// one in the daemon's store; `docker image inspect` shows the wrapped config
// and the frontend's labels.
func testSupervisorLayerSharedInTheStore(t *testing.T, d *daemon) {
	t.Parallel()
	a, b := t.TempDir(), t.TempDir()
	rigtest.WriteFile(t, a, "Dockerfile", "# syntax=tiltdev/restart-frontend\nFROM busybox\nRUN echo a > /a\nENTRYPOINT [\"cat\"]\nCMD [\"/a\"]\n")
	rigtest.WriteFile(t, b, "Dockerfile", "# syntax=tiltdev/restart-frontend\nFROM busybox\nCOPY b /b\nCMD [\"cat\", \"/b\"]\n")
	rigtest.WriteFile(t, b, "b", "b\n")
	imageA, imageB := os.Getenv("RIG_REGISTRY")+"/e2e/shared:a-docker29", os.Getenv("RIG_REGISTRY")+"/e2e/shared:b-docker29"
	d.run(t, nil, "docker", "build", "-t", imageA, a)
	d.run(t, nil, "docker", "build", "-t", imageB, b)
	la, lb := lastDiffID(t, d, imageA), lastDiffID(t, d, imageB)
	if la != lb {
		t.Errorf("the supervisor layers differ: %s and %s", la, lb)
	}

	var inspected []struct {
		Config struct {
			Entrypoint, Cmd []string
			Labels          map[string]string
		}
	}
	if err := json.Unmarshal([]byte(d.run(t, nil, "docker", "image", "inspect", imageA)), &inspected); err != nil {
		t.Fatal(err)
	}
	cfg := inspected[0].Config
	if app, wrapped := wrap.Unwrap(cfg.Entrypoint); !wrapped || strings.Join(app, " ") != "cat" {
		t.Errorf("Entrypoint = %q, want the supervisor running the image's ENTRYPOINT cat", cfg.Entrypoint)
	}
	if got := strings.Join(cfg.Cmd, " "); got != "/a" {
		t.Errorf("Cmd = %q, want the image's CMD /a", got)
	}
	for label, want := range map[string]string{
		contract.LabelSupervisor: contract.SupervisorPath, contract.LabelTrigger: "/.restart-proc",
		contract.LabelEntrypoint: `["cat"]`, contract.LabelCmd: `["/a"]`,
	} {
		if got := cfg.Labels[label]; got != want {
			t.Errorf("label %s = %q, want %q", label, got, want)
		}
	}
	if cfg.Labels[contract.LabelVersion] == "" {
		t.Errorf("no label %s in %v", contract.LabelVersion, cfg.Labels)
	}
}

// lastDiffID is the diff ID of an image's last layer in the daemon's store.
func lastDiffID(t *testing.T, d *daemon, image string) string {
	t.Helper()
	var layers []string
	if err := json.Unmarshal([]byte(d.run(t, nil, "docker", "image", "inspect", "-f", "{{json .RootFS.Layers}}", image)), &layers); err != nil {
		t.Fatal(err)
	}
	if len(layers) == 0 {
		t.Fatalf("%s has no layers", image)
	}
	return layers[len(layers)-1]
}

// testSupervisorPaths builds with `docker build --progress=plain` and reads
// which way the frontend took from its progress names: the supervisors from
// the frontend's own image (CurrentFrontend) or from an image it pulls by
// name, and the layer merged (MergeOp) or copied on top. docker20's BuildKit
// has neither CurrentFrontend nor MergeOp; docker29's has both.
func testSupervisorPaths(t *testing.T, d *daemon) {
	t.Parallel()
	dir := t.TempDir()
	rigtest.WriteFile(t, dir, "Dockerfile", "# syntax=tiltdev/restart-frontend\nFROM busybox\nRUN echo paths > /paths\nCMD [\"cat\", \"/paths\"]\n")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := d.command(ctx, "docker", "build", "--progress=plain", "--no-cache", "-t", os.Getenv("RIG_REGISTRY")+"/e2e/paths:"+d.tag("docker"), dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	for step, want := range map[string]bool{
		"[restart] load supervisors from ":  !d.modern, // no CurrentFrontend
		"[restart] append supervisor layer": d.modern,  // MergeOp
	} {
		if got := bytes.Contains(out, []byte(step)); got != want {
			t.Errorf("progress has %q: %v, want %v on %s:\n%s", step, got, want, d.name, out)
		}
	}
}
