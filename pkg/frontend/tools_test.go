package frontend

import (
	"context"
	"slices"
	"strings"
	"testing"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

func TestMissingTools(t *testing.T) {
	tools := files{"/bin/tar": {mode: 0o755}, "/bin/rm": {mode: 0o755}}
	onlyTar := files{"/usr/bin/tar": {mode: 0o755}}
	for _, tc := range []struct {
		name  string
		image statter // nil for scratch
		env   []string
		want  []string
		// wantError is part of the error; "" for none.
		wantError string
	}{
		{"scratch gets both in /usr/local/bin", nil, nil, []string{"/usr/local/bin/tar", "/usr/local/bin/rm"}, ""},
		{"an image with both gets none", tools, nil, nil, ""},
		{"an image with tar gets rm", onlyTar, nil, []string{"/usr/local/bin/rm"}, ""},
		{"a tool outside the PATH does not count", onlyTar, []string{"PATH=/bin"}, []string{"/bin/tar", "/bin/rm"}, ""},
		{"the PATH's first folder without /usr/local/bin", nil, []string{"PATH=/app/bin:/bin"}, []string{"/app/bin/tar", "/app/bin/rm"}, ""},
		{"/usr/local/bin wherever it is on the PATH", nil, []string{"PATH=/app:/usr/local/bin/"}, []string{"/usr/local/bin/tar", "/usr/local/bin/rm"}, ""},
		{"relative folders are skipped", nil, []string{"PATH=bin:.:/opt//bin"}, []string{"/opt/bin/tar", "/opt/bin/rm"}, ""},
		{"the last PATH wins", tools, []string{"PATH=/x", "HOME=/", "PATH=/bin"}, nil, ""},
		{"no absolute folder on the PATH", nil, []string{"PATH=bin:."}, nil, "needs an absolute folder on the image's PATH"},
		{"an empty PATH", tools, []string{"PATH="}, nil, "needs an absolute folder on the image's PATH"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := dockerspec.DockerOCIImage{}
			img.Config.Env = tc.env
			got, err := missingTools(context.Background(), tc.image, img)
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("missingTools = %q, %v; want an error with %q", got, err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("missingTools = %q, want %q", got, tc.want)
			}
		})
	}
}
