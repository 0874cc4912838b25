package frontend

import (
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/containerd/platforms"
	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"
)

// ownPlatform is the platform this frontend binary was built for: the
// manifest of the frontend image that holds it, and so the one to load the
// supervisors from when the daemon does not say which image runs the
// frontend. It is read from the binary rather than from the CPU
// (platforms.DefaultSpec): an arm/v6 build on an armv7 CPU, or an arm build
// under emulation, would otherwise ask for a variant the image may not have.
func ownPlatform() ocispecs.Platform {
	var goarm string
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "GOARM" {
				goarm = s.Value
			}
		}
	}
	return builtPlatform(runtime.GOOS, runtime.GOARCH, goarm)
}

// builtPlatform is the normalized platform of a binary built with GOOS,
// GOARCH and GOARM (as the build info records it, e.g. "7" or "6,softfloat").
func builtPlatform(goos, goarch, goarm string) ocispecs.Platform {
	p := ocispecs.Platform{OS: goos, Architecture: goarch}
	if goarch == "arm" && goarm != "" {
		p.Variant = "v" + strings.SplitN(goarm, ",", 2)[0]
	}
	return platforms.Normalize(p)
}
