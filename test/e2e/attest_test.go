package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// TestProvenanceAttestation builds through the frontend with a provenance
// attestation: the pushed index holds the image and its attestation.
func TestProvenanceAttestation(t *testing.T) {
	d := docker20()
	t.Parallel()
	dir := t.TempDir()
	const df = "# syntax=tiltdev/restart-frontend\nFROM busybox\nRUN echo hi > /hi\nCMD [\"cat\", \"/hi\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	image := os.Getenv("RIG_REGISTRY") + "/e2e/provenance:latest"
	d.run(t, nil, "docker", "buildx", "build", "--builder", "rig", "--provenance=mode=max",
		"--output", "type=image,name="+image+",push=true,registry.insecure=true", dir)

	var index struct {
		Manifests []struct {
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal([]byte(d.run(t, nil, "crane", "manifest", "--insecure", image)), &index); err != nil {
		t.Fatal(err)
	}
	var attestations int
	for _, m := range index.Manifests {
		if m.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
			attestations++
		}
	}
	if len(index.Manifests) != 2 || attestations != 1 {
		t.Errorf("index has %d manifests, %d of them attestations; want the image and one attestation", len(index.Manifests), attestations)
	}
}
