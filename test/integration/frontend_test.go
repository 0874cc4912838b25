package integration

import (
	"debug/elf"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
)

const helloDockerfile = `FROM busybox
USER nobody
ENV GREETING=hello
WORKDIR /srv
ENTRYPOINT ["/bin/echo"]
CMD ["hello"]
`

func TestWrapsTheImage(t *testing.T) {
	t.Parallel()
	newBuild(t, helloDockerfile).mustRun(func(b *build) {
		img := b.image("")
		ep, cmd := img.Config.Entrypoint, img.Config.Cmd
		if len(ep) < 3 || ep[0] != contract.SupervisorPath || !slices.Equal(ep[len(ep)-2:], []string{"--", "/bin/echo"}) {
			t.Errorf("entrypoint = %q, want the supervisor, its options, -- and /bin/echo", ep)
		}
		if !slices.Equal(cmd, []string{"hello"}) {
			t.Errorf("cmd = %q, want [hello]", cmd)
		}
		if img.Config.User != "nobody" || img.Config.WorkingDir != "/srv" || !slices.Contains(img.Config.Env, "GREETING=hello") {
			t.Errorf("user %q, workdir %q, env %q changed", img.Config.User, img.Config.WorkingDir, img.Config.Env)
		}
		if got := img.Config.Labels[contract.LabelTrigger]; got != "/.restart-proc" {
			t.Errorf("trigger label = %q", got)
		}

		b.checkFile("", contract.SupervisorPath, 0o755, 0)
		b.checkFile("", "/.restart-proc", 0o666, 0)
		if m := b.elfMachine("", contract.SupervisorPath); m != elf.EM_X86_64 {
			t.Errorf("supervisor is built for %s, want %s", m, elf.EM_X86_64)
		}
	})
}

func TestEachPlatformGetsItsOwnSupervisor(t *testing.T) {
	t.Parallel()
	want := map[string]elf.Machine{
		"linux/amd64":   elf.EM_X86_64,
		"linux/arm64":   elf.EM_AARCH64,
		"linux/arm/v7":  elf.EM_ARM,
		"linux/arm/v6":  elf.EM_ARM,
		"linux/386":     elf.EM_386,
		"linux/ppc64le": elf.EM_PPC64,
		"linux/s390x":   elf.EM_S390,
		"linux/riscv64": elf.EM_RISCV,
	}
	var ps []string
	for p := range want {
		ps = append(ps, p)
	}
	newBuild(t, "FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n").
		withFile("app", "not a real binary").
		withAttr("platform", strings.Join(ps, ",")).
		mustRun(func(b *build) {
			got := b.platforms()
			if len(got) != len(want) {
				t.Fatalf("platforms = %q, want %d", got, len(want))
			}
			for _, id := range got {
				if m := b.elfMachine(id, contract.SupervisorPath); m != want[id] {
					t.Errorf("%s: supervisor is built for %s, want %s", id, m, want[id])
				}
				if ep := b.image(id).Config.Entrypoint; ep[0] != contract.SupervisorPath || ep[len(ep)-1] != "/app" {
					t.Errorf("%s: entrypoint = %q", id, ep)
				}
				b.checkFile(id, "/.restart-proc", 0o666, 0)
			}
		})
}

func TestOffBuildsWhatUpstreamBuilds(t *testing.T) {
	t.Parallel()
	newBuild(t, helloDockerfile).withBuildArg("RESTART_PROCESS", "off").mustRun(func(b *build) {
		img := b.image("")
		if !slices.Equal(img.Config.Entrypoint, []string{"/bin/echo"}) {
			t.Errorf("entrypoint = %q, want [/bin/echo]", img.Config.Entrypoint)
		}
		if _, ok := img.Config.Labels[contract.LabelVersion]; ok {
			t.Error("labels were added")
		}
		if st := b.stat("", contract.SupervisorDir); st != nil {
			t.Errorf("%s exists", contract.SupervisorDir)
		}
	})
}

func TestTriggerInStickyTmp(t *testing.T) {
	t.Parallel()
	newBuild(t, helloDockerfile).withBuildArg("RESTART_TRIGGER", "/tmp/restart/now").mustRun(func(b *build) {
		st := b.stat("", "/tmp")
		if st == nil || os.FileMode(st.Mode)&os.ModeSticky == 0 || os.FileMode(st.Mode).Perm() != 0o777 {
			t.Errorf("/tmp lost its mode: %v", st)
		}
		b.checkFile("", "/tmp/restart/now", 0o666, 0)
		if got := b.image("").Config.Labels[contract.LabelTrigger]; got != "/tmp/restart/now" {
			t.Errorf("trigger label = %q", got)
		}
	})
}

func TestBadInputFailsBeforeBuilding(t *testing.T) {
	for _, tc := range []struct {
		name  string
		attrs map[string]string
		want  []string
	}{
		{"a stop timeout that is no duration", map[string]string{"build-arg:RESTART_STOP_TIMEOUT": "soon"}, []string{"RESTART_STOP_TIMEOUT", `"soon"`}},
		{"a relative trigger", map[string]string{"build-arg:RESTART_TRIGGER": "restart"}, []string{"RESTART_TRIGGER", "absolute"}},
		{"a misspelt option", map[string]string{"build-arg:RESTART_TRIGER": "/x"}, []string{"RESTART_TRIGER", "RESTART_TRIGGER"}},
		{"RESTART_PROCESS neither on nor off", map[string]string{"build-arg:RESTART_PROCESS": "maybe"}, []string{"RESTART_PROCESS", "on or off"}},
		{"a platform with no supervisor", map[string]string{"platform": "windows/amd64"}, []string{"windows/amd64", "RESTART_PROCESS=off"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := newBuild(t, helloDockerfile)
			for k, v := range tc.attrs {
				b.withAttr(k, v)
			}
			err := b.run(nil)
			if err == nil {
				t.Fatal("the build succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %s: %v", w, err)
				}
			}
		})
	}
}

func TestSubrequestsPassThrough(t *testing.T) {
	t.Parallel()
	newBuild(t, "FROM busybox AS base\nFROM base AS final\n").withAttr("requestid", "frontend.targets").mustRun(func(b *build) {
		got := string(b.res.Metadata["result.json"])
		if !strings.Contains(got, `"base"`) || !strings.Contains(got, `"final"`) {
			t.Errorf("targets = %s", got)
		}
	})
}

// checkFile asserts a file's mode and owner in platform id's filesystem.
func (b *build) checkFile(id, path string, perm os.FileMode, uid uint32) {
	b.t.Helper()
	st := b.stat(id, path)
	if st == nil {
		b.t.Errorf("%s: %s is missing", id, path)
		return
	}
	if mode := os.FileMode(st.Mode); mode.Perm() != perm || !mode.IsRegular() || st.Uid != uid {
		b.t.Errorf("%s: %s is %v uid %d, want %v uid %d", id, path, mode, st.Uid, perm, uid)
	}
}

func TestTriggerPathsTheImageCannotHave(t *testing.T) {
	const withFile = "FROM busybox\nRUN echo x > /app.conf\nENTRYPOINT [\"/bin/echo\"]\n"
	for _, tc := range []struct {
		name       string
		dockerfile string
		trigger    string
		want       string
	}{
		{"a folder", helloDockerfile, "/srv", "has a folder there"},
		{"under a file", withFile, "/app.conf/restart", "/app.conf is a file"},
		// Refused by name, before the image is read.
		{"in a system folder", helloDockerfile, "/bin/echo/restart", "want a file outside /bin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := newBuild(t, tc.dockerfile).withBuildArg("RESTART_TRIGGER", tc.trigger).run(nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "RESTART_TRIGGER") {
				t.Errorf("error = %v, want one naming RESTART_TRIGGER and saying %q", err, tc.want)
			}
		})
	}
}
