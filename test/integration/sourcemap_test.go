package integration

import (
	"strings"
	"testing"

	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

// TestAppendedStepsMapToTheSyntaxLine: the steps that add the supervisor
// carry a source location, as upstream's own steps do, at the line that asked
// for them: the `# syntax=` line, else the first line.
func TestAppendedStepsMapToTheSyntaxLine(t *testing.T) {
	for _, tc := range []struct {
		name, dockerfile string
		attrs            map[string]string
		line             int32
	}{
		{"without a syntax line, the first line", helloDockerfile, nil, 1},
		// cmdline is what BuildKit sets when it runs the frontend for a
		// `# syntax=` line; it keeps the in-process build from forwarding.
		{"the syntax line after another directive", "# check=error=false\n# syntax=tiltdev/restart-frontend\n" + helloDockerfile,
			map[string]string{"cmdline": "tiltdev/restart-frontend"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBuild(t, tc.dockerfile)
			for k, v := range tc.attrs {
				b.withAttr(k, v)
			}
			b.mustRun(func(b *build) {
				st, err := b.ref("").ToState()
				if err != nil {
					t.Fatal(err)
				}
				def, err := st.Marshal(b.ctx)
				if err != nil {
					t.Fatal(err)
				}
				found := 0
				for _, dt := range def.Def {
					dgst := digest.FromBytes(dt)
					name := def.Metadata[dgst].Description["llb.customname"]
					var op pb.Op
					if err := op.UnmarshalVT(dt); err != nil {
						t.Fatal(err)
					}
					// The steps that make the layer; loading the frontend
					// image is not one.
					if !strings.HasPrefix(name, "[restart] ") || op.GetSource() != nil {
						continue
					}
					found++
					if got := locationLines(def.ToPB(), dgst); len(got) != 1 || got[0] != tc.line {
						t.Errorf("%q maps to lines %v, want [%d]", name, got, tc.line)
					}
				}
				if found == 0 {
					t.Error("no [restart] step in the result's definition")
				}
			})
		})
	}
}

// locationLines returns the start line of each source range of op dgst in
// the Dockerfile.
func locationLines(def *pb.Definition, dgst digest.Digest) []int32 {
	var lines []int32
	if def.Source == nil || def.Source.Locations[dgst.String()] == nil {
		return nil
	}
	for _, l := range def.Source.Locations[dgst.String()].Locations {
		if def.Source.Infos[l.SourceIndex].Filename != "Dockerfile" {
			continue
		}
		for _, r := range l.Ranges {
			lines = append(lines, r.Start.Line)
		}
	}
	return lines
}
