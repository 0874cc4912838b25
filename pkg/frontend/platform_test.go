package frontend

import (
	"strings"
	"testing"

	"github.com/containerd/platforms"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
)

// TestBuiltPlatformFindsItsManifest: the frontend image has one manifest per
// platform of contract.Platforms, each built with the GOARCH and GOARM the
// Dockerfile derives from it; the fallback must ask for exactly that one.
func TestBuiltPlatformFindsItsManifest(t *testing.T) {
	for _, id := range contract.Platforms {
		parts := strings.Split(id, "/")
		goarm := ""
		if len(parts) == 3 {
			goarm = strings.TrimPrefix(parts[2], "v")
		}
		got := platforms.Format(builtPlatform(parts[0], parts[1], goarm))
		if got != id {
			t.Errorf("a frontend built for %s asks for the manifest of %s", id, got)
		}
	}
}

func TestBuiltPlatformDropsTheFloatMode(t *testing.T) {
	if got := platforms.Format(builtPlatform("linux", "arm", "6,softfloat")); got != "linux/arm/v6" {
		t.Errorf("GOARM=6,softfloat gives %s, want linux/arm/v6", got)
	}
}
