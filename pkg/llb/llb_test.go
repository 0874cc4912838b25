package llb

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/containerd/platforms"
	bkllb "github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/solver/pb"
	digest "github.com/opencontainers/go-digest"
)

func TestAppend(t *testing.T) {
	epoch := time.Unix(1700000000, 0)
	base := bkllb.Image("docker.io/library/busybox:latest")
	source := bkllb.Image("docker.io/tiltdev/restart-frontend:latest")

	for _, tc := range []struct {
		name    string
		trigger string
		merge   bool
		include bool // the daemon takes include patterns
		tools   []string
		wantOps []string // custom names of the file and merge ops, in order
	}{
		{
			name: "merge puts the supervisor and a trigger at the root in one shared layer", trigger: "/.restart-proc", merge: true,
			wantOps: []string{"[restart] add supervisor, trigger /.restart-proc", "[restart] append supervisor layer"},
		},
		{
			name: "merge puts a trigger in a folder on top of the image", trigger: "/tmp/restart", merge: true,
			wantOps: []string{"[restart] add supervisor", "[restart] append supervisor layer", "[restart] add trigger /tmp/restart"},
		},
		{
			name: "tools go with the supervisor, their links on top", trigger: "/.restart-proc", merge: true,
			tools: []string{"/usr/local/bin/tar", "/usr/local/bin/rm"},
			wantOps: []string{"[restart] add supervisor, tools, trigger /.restart-proc", "[restart] append supervisor layer",
				"[restart] add /usr/local/bin/tar, /usr/local/bin/rm"},
		},
		{
			name: "include patterns copy the supervisor folder in one action", trigger: "/.restart-proc", merge: true, include: true,
			tools:   []string{"/usr/local/bin/tar"},
			wantOps: []string{"[restart] add supervisor, tools, trigger /.restart-proc", "[restart] append supervisor layer", "[restart] add /usr/local/bin/tar"},
		},
		{
			name: "without merge everything is one step on the image", trigger: "/tmp/restart", merge: false,
			wantOps: []string{"[restart] add supervisor, trigger /tmp/restart"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, layers, err := Append(base, Layer{Source: source, Platform: platforms.MustParse("linux/arm64"), Trigger: tc.trigger, Tools: tc.tools, Epoch: epoch, Merge: tc.merge, IncludePatterns: tc.include})
			if err != nil {
				t.Fatal(err)
			}
			var wantLayers []string // one per FileOp: a merge adds no layer of its own
			for _, op := range tc.wantOps {
				if op != "[restart] append supervisor layer" {
					wantLayers = append(wantLayers, strings.TrimPrefix(op, "[restart] "))
				}
			}
			if strings.Join(layers, "|") != strings.Join(wantLayers, "|") {
				t.Errorf("layers = %q, want %q", layers, wantLayers)
			}
			ops := marshal(t, st)

			var names []string
			var actions []*pb.FileAction
			for _, op := range ops {
				switch {
				case op.op.GetFile() != nil:
					names = append(names, op.name)
					actions = append(actions, op.op.GetFile().Actions...)
				case op.op.GetMerge() != nil:
					names = append(names, op.name)
				}
			}
			if strings.Join(names, "|") != strings.Join(tc.wantOps, "|") {
				t.Errorf("ops = %q, want %q", names, tc.wantOps)
			}
			checkActions(t, actions, tc.trigger, epoch.UnixNano())
			if tc.include {
				checkFolderCopy(t, actions, len(tc.tools) > 0, epoch.UnixNano())
			}
		})
	}
}

// checkActions asserts the files the layer makes: sources, modes and times.
func checkActions(t *testing.T, actions []*pb.FileAction, trigger string, ts int64) {
	t.Helper()
	want := map[string]struct {
		src  string
		mode int32
	}{
		"/.restart":            {"/supervisors/linux/arm64", 0o755},
		"/.restart/supervisor": {"/supervisors/linux/arm64/supervisor", 0o755},
		"/.restart/tools":      {"/supervisors/linux/arm64/tools", 0o755},
		trigger:                {"/supervisors/trigger", 0o666},
		"/usr/local/bin/tar":   {"/supervisors/links/tar", -1},
		"/usr/local/bin/rm":    {"/supervisors/links/rm", -1},
	}
	seen := map[string]bool{}
	for _, a := range actions {
		if c := a.GetCopy(); c != nil {
			w, ok := want[c.Dest]
			if !ok || c.Src != w.src || c.Mode != w.mode || c.Timestamp != ts {
				t.Errorf("copy %s -> %s mode %o time %d; want from %s mode %o time %d", c.Src, c.Dest, c.Mode, c.Timestamp, w.src, w.mode, ts)
			}
			seen[c.Dest] = true
		}
		if d := a.GetMkdir(); d != nil && (d.Mode != 0o755 || d.Timestamp != ts) {
			t.Errorf("mkdir %s mode %o time %d", d.Path, d.Mode, d.Timestamp)
		}
	}
	if !(seen["/.restart/supervisor"] || seen["/.restart"]) || !seen[trigger] {
		t.Errorf("copied %v; want the supervisor and the trigger %s", seen, trigger)
	}
}

// checkFolderCopy asserts that the supervisor folder is one copy of the
// platform's folder that creates it, dated after its files, with nothing
// but the binaries asked for, and that no step makes it apart.
func checkFolderCopy(t *testing.T, actions []*pb.FileAction, tools bool, ts int64) {
	t.Helper()
	want := []string{"supervisor"}
	if tools {
		want = append(want, "tools")
	}
	var found bool
	for _, a := range actions {
		if d := a.GetMkdir(); d != nil && d.Path == "/.restart" {
			t.Errorf("mkdir /.restart apart from the copy: its time would be the build's")
		}
		c := a.GetCopy()
		if c == nil || c.Dest != "/.restart" {
			continue
		}
		found = true
		if !c.DirCopyContents || !c.CreateDestPath || c.Timestamp != ts || !slices.Equal(c.IncludePatterns, want) {
			t.Errorf("copy to /.restart: contents %v, create %v, time %d, include %q; want true, true, %d, %q",
				c.DirCopyContents, c.CreateDestPath, c.Timestamp, c.IncludePatterns, ts, want)
		}
	}
	if !found {
		t.Error("no copy of the supervisor folder")
	}
}

type namedOp struct {
	op   *pb.Op
	name string
}

func marshal(t *testing.T, st bkllb.State) []namedOp {
	t.Helper()
	def, err := st.Marshal(context.Background(), bkllb.Platform(platforms.MustParse("linux/arm64")))
	if err != nil {
		t.Fatal(err)
	}
	var ops []namedOp
	for _, dt := range def.Def {
		var op pb.Op
		if err := op.UnmarshalVT(dt); err != nil {
			t.Fatal(err)
		}
		dgst := digest.FromBytes(dt)
		ops = append(ops, namedOp{op: &op, name: def.Metadata[dgst].Description["llb.customname"]})
	}
	return ops
}

// TestAppendMapsEveryStepToTheLocation: every step the layer adds points at
// the given place in the Dockerfile, as upstream's own steps point at their
// instructions, so progress and errors of the supervisor layer name a line.
func TestAppendMapsEveryStepToTheLocation(t *testing.T) {
	df := []byte("# syntax=tiltdev/restart-frontend\nFROM busybox\n")
	sm := bkllb.NewSourceMap(nil, "Dockerfile", "Dockerfile", df)
	line1 := []*pb.Range{{Start: &pb.Position{Line: 1}, End: &pb.Position{Line: 1, Character: 33}}}
	for _, merge := range []bool{true, false} {
		st, _, err := Append(bkllb.Image("docker.io/library/busybox:latest"), Layer{
			Source: bkllb.Image("docker.io/tiltdev/restart-frontend:latest"), Platform: platforms.MustParse("linux/arm64"),
			Trigger: "/tmp/restart", Epoch: time.Unix(0, 0), Merge: merge, Location: sm.Location(line1),
		})
		if err != nil {
			t.Fatal(err)
		}
		def, err := st.Marshal(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if def.Source == nil || len(def.Source.Infos) != 1 || string(def.Source.Infos[0].Data) != string(df) {
			t.Fatalf("merge=%v: source infos = %v, want the Dockerfile", merge, def.Source)
		}
		mapped := 0
		for _, dt := range def.Def {
			var op pb.Op
			if err := op.UnmarshalVT(dt); err != nil {
				t.Fatal(err)
			}
			if op.GetFile() == nil && op.GetMerge() == nil {
				continue
			}
			locs := def.Source.Locations[digest.FromBytes(dt).String()]
			if locs == nil || len(locs.Locations) != 1 || locs.Locations[0].Ranges[0].Start.Line != 1 {
				t.Errorf("merge=%v: step %v maps to %v, want line 1", merge, op.Op, locs)
			}
			mapped++
		}
		if mapped == 0 {
			t.Errorf("merge=%v: no file or merge step", merge)
		}
	}
}

// TestLocate: the frontend's own image, a finished definition as BuildKit
// hands it over, maps to the same line as the steps of the layer, with the
// same digest (so the same cache), and the Dockerfile is in the source map
// once.
func TestLocate(t *testing.T) {
	ctx := context.Background()
	df := []byte("# syntax=tiltdev/restart-frontend\nFROM busybox\n")
	sm := bkllb.NewSourceMap(nil, "Dockerfile", "Dockerfile", df)
	line1 := []*pb.Range{{Start: &pb.Position{Line: 1}, End: &pb.Position{Line: 1, Character: 33}}}
	image := bkllb.Image("docker.io/tiltdev/restart-frontend:latest")
	imageDef, err := image.Marshal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	imageDigest := digest.FromBytes(imageDef.Def[0]).String()
	// As the gateway's CurrentFrontend makes it.
	finished, err := bkllb.NewDefinitionOp(imageDef.ToPB())
	if err != nil {
		t.Fatal(err)
	}
	source, err := Locate(ctx, bkllb.NewState(finished), sm.Location(line1))
	if err != nil {
		t.Fatal(err)
	}
	st, _, err := Append(bkllb.Scratch(), Layer{Source: source, Platform: platforms.MustParse("linux/arm64"),
		Trigger: "/.restart-proc", Epoch: time.Unix(0, 0), Merge: true, Location: sm.Location(line1)})
	if err != nil {
		t.Fatal(err)
	}
	def, err := st.Marshal(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if def.Source == nil || len(def.Source.Infos) != 1 {
		t.Fatalf("source infos = %v, want the Dockerfile once", def.Source)
	}
	for _, dt := range def.Def[:len(def.Def)-1] {
		dgst := digest.FromBytes(dt).String()
		locs := def.Source.Locations[dgst]
		if locs == nil || len(locs.Locations) != 1 || locs.Locations[0].Ranges[0].Start.Line != 1 {
			t.Errorf("step %s maps to %v, want line 1 only", dgst, locs)
		}
	}
	if def.Source.Locations[imageDigest] == nil {
		t.Errorf("the frontend image's step %s is not in the definition, or changed its digest", imageDigest)
	}

	same, err := Locate(ctx, image, (*bkllb.SourceMap)(nil).Location(line1))
	if err != nil || same.Output() != image.Output() {
		t.Errorf("Locate with no source map: %v, want the state unchanged", err)
	}
}
