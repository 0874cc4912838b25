package rigtest

import (
	"strings"
	"testing"
)

func TestDecide(t *testing.T) {
	for _, c := range []struct {
		name  string
		env   map[string]string
		short bool
		vars  []string
		want  verdict
		says  []string
	}{
		{name: "all set", env: map[string]string{"BUILDKIT_HOST": "tcp://x", "KUBECONFIG": "/k"},
			vars: []string{"BUILDKIT_HOST", "KUBECONFIG"}, want: run},
		{name: "short skips even under make test", env: map[string]string{RequiredVar: "1"}, short: true,
			vars: []string{"BUILDKIT_HOST"}, want: skip, says: []string{"-short"}},
		{name: "missing outside make test skips", env: map[string]string{},
			vars: []string{"BUILDKIT_HOST"}, want: skip, says: []string{"BUILDKIT_HOST is not set", "make test"}},
		{name: "missing under make test fails", env: map[string]string{RequiredVar: "1"},
			vars: []string{"BUILDKIT_HOST"}, want: fail, says: []string{"FAILED", "BUILDKIT_HOST is not set", "no switch"}},
		{name: "missing under make test names the switch", env: map[string]string{RequiredVar: "1", "BUILDKIT_HOST": "tcp://x"},
			vars: []string{"BUILDKIT_HOST", "KUBECONFIG"}, want: fail, says: []string{"KUBECONFIG is not set", "RIG_K8S=0"}},
		{name: "switched off on purpose skips under make test", env: map[string]string{RequiredVar: "1", "RIG_K8S": "0"},
			vars: []string{"KUBECONFIG"}, want: skip, says: []string{"switched off by RIG_K8S=0"}},
		{name: "switched off skips even with the variable set", env: map[string]string{"KUBECONFIG": "/home/me/.kube/config", "RIG_K8S": "0"},
			vars: []string{"KUBECONFIG"}, want: skip, says: []string{"switched off by RIG_K8S=0"}},
		{name: "a switch left on does not excuse", env: map[string]string{RequiredVar: "1", "RIG_DOCKER29": "1"},
			vars: []string{"DOCKER29_HOST"}, want: fail, says: []string{"DOCKER29_HOST is not set", "RIG_DOCKER29=0"}},
		{name: "a switch does not excuse a variable it does not govern", env: map[string]string{RequiredVar: "1", "RIG_K8S": "0"},
			vars: []string{"BUILDKIT_HOST"}, want: fail, says: []string{"BUILDKIT_HOST"}},
		{name: "RIG_REQUIRED other than 1 skips", env: map[string]string{RequiredVar: "0"},
			vars: []string{"KUBECONFIG"}, want: skip, says: []string{"KUBECONFIG is not set"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, msg := decide(func(k string) string { return c.env[k] }, c.short, "pkg", c.vars)
			if got != c.want {
				t.Errorf("verdict %d, want %d (%s)", got, c.want, msg)
			}
			for _, s := range c.says {
				if !strings.Contains(msg, s) {
					t.Errorf("%q does not say %q", msg, s)
				}
			}
			if got != run && !strings.HasPrefix(msg, "pkg: ") {
				t.Errorf("%q does not name the package first", msg)
			}
		})
	}
}

func TestMissingWithoutVariable(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		want verdict
		says string
	}{
		{name: "outside make test", env: map[string]string{}, want: skip, says: "skipped: no compose"},
		{name: "under make test", env: map[string]string{RequiredVar: "1"}, want: fail, says: "no compose"},
		{name: "switched off", env: map[string]string{RequiredVar: "1", "RIG_COMPOSE": "0"}, want: skip, says: "switched off by RIG_COMPOSE=0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, msg := missing(func(k string) string { return c.env[k] }, "compose", "RIG_COMPOSE", "no compose")
			if got != c.want || !strings.Contains(msg, c.says) {
				t.Errorf("got %d %q, want %d saying %q", got, msg, c.want, c.says)
			}
		})
	}
}
