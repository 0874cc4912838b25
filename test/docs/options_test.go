package docs

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tilt-dev/restart-frontend/pkg/options"
)

// frontendArgs are the build args the frontend reads itself (pkg/wrap),
// with their defaults: the supervisor never sees them, so pkg/options does
// not list them.
var frontendArgs = map[string]string{
	"RESTART_PROCESS": "on",
	"RESTART_TOOLS":   "off",
}

// TestOptionsTable checks the README's table of build args against the
// options pkg/options knows: one row per option (options.EnvNames) and per
// frontend build arg, and no other; each row's default as the supervisor
// renders it (options.DefaultConfig().Args()). A default cell matches when
// one of its `code` spans is the default (durations compare as durations,
// so `0` is 0s), or it says "empty" for an empty default.
func TestOptionsTable(t *testing.T) {
	rows := optionsTable(t, readFile(t, "README.md"))
	want := map[string]string{}
	for k, v := range frontendArgs {
		want[k] = v
	}
	defaults := map[string]string{}
	for _, a := range options.DefaultConfig().Args() {
		name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !ok {
			t.Fatalf("options.DefaultConfig().Args() has %q, not --NAME=VALUE", a)
		}
		defaults[name] = value
	}
	for _, env := range options.EnvNames() {
		name := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(env, options.EnvPrefix)), "_", "-")
		v, ok := defaults[name]
		if !ok {
			t.Fatalf("option %s has no --%s in options.DefaultConfig().Args()", env, name)
		}
		want[env] = v
	}
	for name, def := range want {
		cell, ok := rows[name]
		if !ok {
			t.Errorf("README's options table has no row for %s (default %q)", name, def)
			continue
		}
		if !defaultMatches(cell, def) {
			t.Errorf("README's options table: %s's default is %q, want `%s`", name, cell, def)
		}
	}
	for name := range rows {
		if _, ok := want[name]; !ok {
			t.Errorf("README's options table has %s, which is neither in options.EnvNames() nor a frontend build arg", name)
		}
	}
}

// optionsTable returns the README's options table: build arg → default cell.
func optionsTable(t *testing.T, readme string) map[string]string {
	t.Helper()
	rows := map[string]string{}
	in := false
	for _, l := range strings.Split(readme, "\n") {
		if strings.HasPrefix(l, "| build arg | default |") {
			in = true
			continue
		}
		if !in || strings.HasPrefix(l, "|---") {
			continue
		}
		if !strings.HasPrefix(l, "|") {
			break
		}
		cells := strings.Split(l, "|")
		if len(cells) < 4 {
			t.Fatalf("README's options table: row %q has fewer than 3 cells", l)
		}
		rows[strings.Trim(strings.TrimSpace(cells[1]), "`")] = strings.TrimSpace(cells[2])
	}
	if len(rows) == 0 {
		t.Fatal("README has no table starting with | build arg | default |")
	}
	return rows
}

func defaultMatches(cell, def string) bool {
	if def == "" {
		return cell == "empty"
	}
	spans := codeSpans(cell)
	if d, err := time.ParseDuration(def); err == nil {
		return slices.ContainsFunc(spans, func(s string) bool {
			got, err := time.ParseDuration(s)
			return err == nil && got == d
		})
	}
	return slices.Contains(spans, def)
}

// codeSpans returns the `code` spans of a line of Markdown.
func codeSpans(s string) []string {
	parts := strings.Split(s, "`")
	var spans []string
	for i := 1; i < len(parts); i += 2 {
		spans = append(spans, parts[i])
	}
	return spans
}

func TestDefaultMatches(t *testing.T) {
	for _, c := range []struct {
		cell, def string
		want      bool
	}{
		{"`5s`", "5s", true},
		{"`0`", "0s", true},
		{"`100ms`", "0.1s", true},
		{"`1s`", "5s", false},
		{"empty", "", true},
		{"`x`", "", false},
		{"the image's `STOPSIGNAL`, else `SIGTERM`", "SIGTERM", true},
		{"SIGTERM", "SIGTERM", false}, // a default is written as code
		{"`exit`", "continue", false},
	} {
		if got := defaultMatches(c.cell, c.def); got != c.want {
			t.Errorf("defaultMatches(%q, %q) = %v, want %v", c.cell, c.def, got, c.want)
		}
	}
}
