package parity

import (
	"encoding/json"
	"fmt"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"

	ocispecs "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
	"github.com/tilt-dev/restart-frontend/pkg/wrap"
)

// onOptions are the settings of the build with the supervisor that change
// which paths it appends.
type onOptions struct {
	trigger string
	tools   bool
}

func optionsOf(args []string) onOptions {
	o := onOptions{trigger: contract.DefaultTrigger}
	for _, a := range args {
		switch k, v, _ := strings.Cut(a, "="); k {
		case "RESTART_TRIGGER":
			o.trigger = v
		case "RESTART_TOOLS":
			o.tools = v == "on"
		}
	}
	return o
}

// compare checks that ours is upstream's image of platform id plus the
// supervisor: the same layers first, the same files but the appended ones,
// the same config but the Entrypoint and the added labels.
func compare(t *testing.T, id string, up, ours image, o onOptions) {
	t.Helper()
	if id != "" {
		id += ": "
	}
	ul, ol := up.manifest.Layers, ours.manifest.Layers
	if len(ol) <= len(ul) || !reflect.DeepEqual(ol[:len(ul)], ul) {
		t.Errorf("%sthe layers are not upstream's %d plus the supervisor's:\nupstream %v\nours     %v", id, len(ul), digests(ul), digests(ol))
	}
	for _, d := range compareFiles(up.files, ours.files, o) {
		t.Errorf("%s%s", id, d)
	}
	for _, d := range compareConfigs(up.config, ours.config, len(ol)-len(ul)) {
		t.Errorf("%s%s", id, d)
	}
	t.Logf("%s%d files and %d layers upstream; %d appended files and %d appended layers", id, len(up.files), len(ul), len(ours.files)-len(up.files), len(ol)-len(ul))
}

// compareFiles lists the differences between the filesystems but the paths
// the frontend appends: /.restart and what it holds, the trigger, the tool
// links, and the folders made for them. Those folders and the ones the
// appended files go into may have a new modification time, nothing else.
func compareFiles(up, ours map[string]file, o onOptions) []string {
	appended := func(p string) bool {
		if p == contract.SupervisorDir || strings.HasPrefix(p, contract.SupervisorDir+"/") || p == o.trigger {
			return true
		}
		// RESTART_TOOLS=on links tar and rm where the image's PATH has
		// neither (/usr/local/bin in every image of the corpus).
		return o.tools && path.Dir(p) == "/usr/local/bin" && (path.Base(p) == "tar" || path.Base(p) == "rm")
	}
	// Folders that hold an appended path.
	parents := map[string]bool{}
	for p := range ours {
		if _, inUp := up[p]; !inUp && appended(p) {
			for d := path.Dir(p); d != "/"; d = path.Dir(d) {
				parents[d] = true
			}
		}
	}

	var diffs []string
	for _, p := range sortedKeys(up) {
		u := up[p]
		g, ok := ours[p]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s is missing (upstream: %+v)", p, u))
		case parents[p]:
			u.ModTime, g.ModTime = 0, 0
			if u != g {
				diffs = append(diffs, fmt.Sprintf("folder %s of an appended path changed:\nupstream %+v\nours     %+v", p, u, g))
			}
		case u != g:
			diffs = append(diffs, fmt.Sprintf("%s differs:\nupstream %+v\nours     %+v", p, u, g))
		}
	}
	for _, p := range sortedKeys(ours) {
		if _, ok := up[p]; !ok && !appended(p) && !parents[p] {
			diffs = append(diffs, fmt.Sprintf("%s was added: %+v", p, ours[p]))
		}
	}
	for _, p := range []string{contract.SupervisorPath, o.trigger} {
		if _, ok := ours[p]; !ok {
			diffs = append(diffs, p+" was not appended")
		}
	}
	return diffs
}

// compareConfigs lists the differences between the image configs but the
// Entrypoint (ours must unwrap to upstream's), the labels under
// contract.LabelPrefix (added, never replacing one of upstream's), and the diff
// ids and history entries of the added layers.
func compareConfigs(up, ours map[string]any, added int) []string {
	up, ours = deepCopy(up), deepCopy(ours)
	var diffs []string
	uc, oc := object(up["config"]), object(ours["config"])

	upEP, ourEP := stringList(uc["Entrypoint"]), stringList(oc["Entrypoint"])
	if got, ok := wrap.Unwrap(ourEP); !ok || !slices.Equal(got, upEP) {
		diffs = append(diffs, fmt.Sprintf("entrypoint %q does not wrap upstream's %q", ourEP, upEP))
	}
	delete(uc, "Entrypoint")
	delete(oc, "Entrypoint")

	ul, ol := object(uc["Labels"]), object(oc["Labels"])
	n := 0
	for k := range ol {
		if strings.HasPrefix(k, contract.LabelPrefix) {
			if _, clash := ul[k]; clash {
				diffs = append(diffs, fmt.Sprintf("label %s of the upstream image was replaced", k))
			}
			delete(ol, k)
			n++
		}
	}
	if n == 0 {
		diffs = append(diffs, "no "+contract.LabelPrefix+"* labels were added")
	}
	if len(ol) == 0 {
		delete(oc, "Labels")
	}
	if len(ul) == 0 {
		delete(uc, "Labels")
	}

	ur, or := object(up["rootfs"]), object(ours["rootfs"])
	ud, od := list(ur["diff_ids"]), list(or["diff_ids"])
	if len(od) != len(ud)+added || !reflect.DeepEqual(od[:len(ud)], ud) {
		diffs = append(diffs, fmt.Sprintf("diff ids are not upstream's %d plus %d", len(ud), added))
	} else {
		or["diff_ids"] = ud
	}
	// The frontend records each added layer under its progress name, at
	// the build's epoch.
	uh, oh := list(up["history"]), list(ours["history"])
	if len(oh) != len(uh)+added || !reflect.DeepEqual(oh[:len(uh)], uh) {
		diffs = append(diffs, fmt.Sprintf("history is not upstream's %d entries plus %d:\nupstream %s\nours     %s", len(uh), added, jsonOf(uh), jsonOf(oh)))
	} else {
		for _, h := range oh[len(uh):] {
			h := object(h)
			if by, _ := h["created_by"].(string); !strings.HasPrefix(by, "[restart] ") || h["created"] != up["created"] {
				diffs = append(diffs, fmt.Sprintf("the history of an added layer is %s, want one created by \"[restart] ...\" at %v", jsonOf(h), up["created"]))
			}
		}
		ours["history"] = up["history"]
	}

	for _, k := range union(up, ours) {
		if k == "config" {
			continue
		}
		if !reflect.DeepEqual(up[k], ours[k]) {
			diffs = append(diffs, fmt.Sprintf("config field %s: upstream %s, ours %s", k, jsonOf(up[k]), jsonOf(ours[k])))
		}
	}
	for _, k := range union(uc, oc) {
		if !reflect.DeepEqual(uc[k], oc[k]) {
			diffs = append(diffs, fmt.Sprintf("config.%s: upstream %s, ours %s", k, jsonOf(uc[k]), jsonOf(oc[k])))
		}
	}
	return diffs
}

func digests(ls []ocispecs.Descriptor) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Digest.Encoded()[:12])
	}
	return out
}

func object(v any) map[string]any {
	m, _ := v.(map[string]any)
	if m == nil {
		return map[string]any{}
	}
	return m
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func stringList(v any) []string {
	var out []string
	for _, x := range list(v) {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func union(a, b map[string]any) []string {
	keys := sortedKeys(a)
	for _, k := range sortedKeys(b) {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	return keys
}

func deepCopy(m map[string]any) map[string]any {
	var out map[string]any
	dt, _ := json.Marshal(m)
	_ = json.Unmarshal(dt, &out)
	return out
}

func jsonOf(v any) string {
	dt, _ := json.Marshal(v)
	return string(dt)
}
