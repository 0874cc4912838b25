package integration

import (
	"fmt"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/builder"
	gwclient "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/solver/errdefs"
	fstypes "github.com/tonistiigi/fsutil/types"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
	"github.com/tilt-dev/restart-frontend/pkg/wrap"
)

// Bad input to the frontend: each case is a build that must fail with an
// error naming what was wrong (the build arg, the value, what is accepted),
// or a Dockerfile error that must read exactly as upstream's. The cases
// already in frontend_test.go (a stop timeout "soon", the relative trigger
// "restart", RESTART_TRIGER, RESTART_PROCESS=maybe, windows/amd64, a trigger
// at a folder or under a file) are not repeated.

// failingDockerfile fails if any of its steps runs: an error about a build
// arg that does not mention its exit code came before the build.
const failingDockerfile = "FROM busybox\nRUN exit 99\nCMD [\"true\"]\n"

func TestEveryBadBuildArgValue(t *testing.T) {
	// want: what the error must say besides the arg and the quoted value.
	for _, tc := range []struct {
		arg, value, want string
	}{
		{"RESTART_PROCESS", "yes", "want on or off"},
		{"RESTART_PROCESS", "2", "want on or off"},
		{"RESTART_TOOLS", "maybe", "want on or off"},
		{"RESTART_TOOLS", "enabled", "want on or off"},
		{"RESTART_TRIGGER", "/", "want an absolute file path"},
		{"RESTART_TRIGGER", "./restart", "want an absolute file path"},
		{"RESTART_TRIGGER", "~/.restart", "want an absolute file path"},
		{"RESTART_TRIGGER", "/bad\x00path", "want an absolute file path"},
		{"RESTART_TRIGGER", "/.restart/supervisor", "holds the supervisor"},
		{"RESTART_TRIGGER", "/.restart", "holds the supervisor"},
		{"RESTART_TRIGGER", "/.restart/tools/../new", "holds the supervisor"},
		{"RESTART_EXIT_POLICY", "restart", "want exit or continue"},
		{"RESTART_EXIT_POLICY", "always", "want exit or continue"},
		{"RESTART_STOP_SIGNAL", "SIGFOO", "want a signal name or number"},
		{"RESTART_STOP_SIGNAL", "0", "want a signal name or number"},
		{"RESTART_STOP_SIGNAL", "65", "want a signal name or number"},
		{"RESTART_STOP_SIGNAL", "RTMIN+31", "want a signal name or number"},
		{"RESTART_STOP_TIMEOUT", "-1s", "want a Go duration of 0 or more"},
		{"RESTART_STOP_TIMEOUT", "5", "want a Go duration of 0 or more"},
		{"RESTART_STOP_TIMEOUT", "1d", "want a Go duration of 0 or more"},
		{"RESTART_WATCH", "src", "want comma-separated absolute directories"},
		{"RESTART_WATCH", "/app,lib", "want comma-separated absolute directories"},
		{"RESTART_DEBOUNCE", "0", "want a Go duration from 1ms to 10s"},
		{"RESTART_DEBOUNCE", "11s", "want a Go duration from 1ms to 10s"},
		{"RESTART_DEBOUNCE", "100", "want a Go duration from 1ms to 10s"},
		{"RESTART_POLL", "1ms", "at least 10ms"},
		{"RESTART_POLL", "-1s", "at least 10ms"},
		{"RESTART_POLL", "fast", "at least 10ms"},
		{"RESTART_LISTEN", "8080", "want comma-separated sockets tcp:PORT"},
		{"RESTART_LISTEN", "tcp:localhost:8080", "where HOST is an IP address"},
		{"RESTART_LISTEN", "tcp:8080,tcp:70000", "want comma-separated sockets tcp:PORT"},
		{"RESTART_LISTEN", "unix:app.sock", "unix:/absolute/path"},
		{"RESTART_LISTEN", "udp:53", "want comma-separated sockets tcp:PORT"},
		{"RESTART_QUIET", "yes", "want true or false"},
		{"RESTART_QUIET", "2", "want true or false"},
	} {
		t.Run(tc.arg+"="+strconv.Quote(tc.value), func(t *testing.T) {
			t.Parallel()
			err := newBuild(t, failingDockerfile).withBuildArg(tc.arg, tc.value).run(nil)
			checkError(t, err, tc.arg, strconv.Quote(tc.value), tc.want)
		})
	}
	t.Run("two unknown args are both named", func(t *testing.T) {
		t.Parallel()
		err := newBuild(t, failingDockerfile).withBuildArg("RESTART_TIMEOUT", "1s").withBuildArg("RESTART_SIGNAL", "INT").run(nil)
		checkError(t, err, "RESTART_SIGNAL, RESTART_TIMEOUT", "RESTART_STOP_TIMEOUT", "RESTART_STOP_SIGNAL")
	})
}

// checkError fails unless err is a build error that says every one of want
// and comes from no build step.
func checkError(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("the build succeeded")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the error does not say %q: %v", w, err)
		}
	}
	if strings.Contains(err.Error(), "exit code") {
		t.Errorf("a build step ran before the error: %v", err)
	}
}

func TestUnsupportedPlatforms(t *testing.T) {
	const df = "FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n"
	for _, tc := range []struct{ platforms, bad string }{
		{"linux/mips64le", "linux/mips64le"},
		{"darwin/arm64", "darwin/arm64"},
		{"windows/amd64,darwin/amd64", "windows/amd64"},
	} {
		t.Run(tc.platforms, func(t *testing.T) {
			t.Parallel()
			err := newBuild(t, df).withFile("app", "x").withAttr("platform", tc.platforms).run(nil)
			checkError(t, err, "no supervisor for platform "+tc.bad, "supported platforms are", "RESTART_PROCESS=off")
		})
	}
	t.Run("beside a supported one they are built as upstream, with a warning", func(t *testing.T) {
		t.Parallel()
		b := newBuild(t, df).withFile("app", "x").withAttr("platform", "linux/amd64,windows/amd64,linux/loong64")
		b.mustRun(func(b *build) {
			if ep := b.image("linux/amd64").Config.Entrypoint; len(ep) == 0 || ep[0] != contract.SupervisorPath {
				t.Errorf("linux/amd64: entrypoint = %q, want the supervisor's", ep)
			}
			for _, id := range []string{"windows/amd64", "linux/loong64"} {
				if ep := b.image(id).Config.Entrypoint; !slices.Equal(ep, []string{"/app"}) {
					t.Errorf("%s: entrypoint = %q, want upstream's [/app]", id, ep)
				}
				if st := b.stat(id, contract.SupervisorPath); st != nil {
					t.Errorf("%s: has %s", id, contract.SupervisorPath)
				}
			}
		})
		for _, id := range []string{"windows/amd64", "linux/loong64"} {
			if !slices.ContainsFunc(b.warnings, func(w string) bool {
				return strings.Contains(w, id+" is built without the supervisor") && strings.Contains(w, "no supervisor for platform "+id)
			}) {
				t.Errorf("no warning names %s: %q", id, b.warnings)
			}
		}
	})
	t.Run("RESTART_PROCESS=off builds them", func(t *testing.T) {
		t.Parallel()
		newBuild(t, df).withFile("app", "x").withAttr("platform", "linux/mips64le").withBuildArg("RESTART_PROCESS", "off").mustRun(nil)
	})
}

// TestDockerfileErrorsReadAsUpstream builds broken Dockerfiles with the
// upstream frontend and with ours: the same message, the same file and the
// same source ranges.
func TestDockerfileErrorsReadAsUpstream(t *testing.T) {
	for _, tc := range []struct {
		name, dockerfile, want string
	}{
		{"an unknown instruction", "FROM busybox\nFORM busybox\n", "unknown instruction: FORM"},
		{"an unknown flag", "FROM busybox\nCOPY --chwn=1 a /a\n", "unknown flag: --chwn"},
		{"an instruction before FROM", "RUN true\nFROM busybox\n", "no build stage"},
		{"an empty Dockerfile", "# only a comment\n", "file with no instructions"},
		{"too few arguments", "FROM busybox\nCOPY onlyone\n", "COPY requires at least two arguments"},
		{"an unknown mount type", "FROM busybox\nRUN --mount=type=bogus true\n", "bogus"},
		{"a bad heredoc", "FROM busybox\nRUN <<EOT\necho never ends\n", "unterminated heredoc"},
		{"a bad STOPSIGNAL", "FROM busybox\nSTOPSIGNAL SIGFOO\n", "invalid signal: SIGFOO"},
		{"a bad port", "FROM busybox\nEXPOSE 80/xyz\n", "xyz"},
		{"a bad variable", "FROM busybox\nENV A=${B\n", `failed to process "${B"`},
		{"a bad healthcheck interval", "FROM busybox\nHEALTHCHECK --interval=1ns CMD true\n", "Interval"},
		{"a failing step", "FROM busybox\nRUN echo ok\nRUN exit 3\n", "exit code: 3"},
		{"a missing file to copy", "FROM busybox\nCOPY missing.txt /\n", "missing.txt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			up := newBuild(t, tc.dockerfile)
			up.fn = builder.Build
			upErr := up.run(nil)
			ourErr := newBuild(t, tc.dockerfile).run(nil)
			if upErr == nil || ourErr == nil {
				t.Fatalf("upstream: %v; ours: %v; want both to fail", upErr, ourErr)
			}
			if normalize(upErr) != normalize(ourErr) {
				t.Errorf("the messages differ:\nupstream %v\nours     %v", upErr, ourErr)
			}
			if !strings.Contains(ourErr.Error(), tc.want) {
				t.Errorf("the error does not say %q: %v", tc.want, ourErr)
			}
			upSrc, ourSrc := sourceRanges(upErr), sourceRanges(ourErr)
			if !reflect.DeepEqual(upSrc, ourSrc) {
				t.Errorf("the source locations differ:\nupstream %v\nours     %v", upSrc, ourSrc)
			}
			t.Logf("%v at %v", ourErr, ourSrc)
		})
	}
}

// sessionRef is the part of a message that names the build's session.
var sessionRef = regexp.MustCompile(`ref [a-z0-9]+::[a-z0-9]+`)

// clientWrap is the prefix BuildKit's client puts on a failed Build. Two of
// its goroutines race to report the same failure, the Solve call ("failed to
// solve") and the build function's ("failed to run Build function"), so either
// can come first for the same frontend error (client/solve.go, build.go).
var clientWrap = regexp.MustCompile(`^(failed to solve|failed to run Build function): `)

// normalize returns err's message without its session ids and without the
// client's racy outer prefix, which says nothing about the frontend.
func normalize(err error) string {
	msg := clientWrap.ReplaceAllString(err.Error(), "")
	return sessionRef.ReplaceAllString(msg, "ref SESSION")
}

// sourceRanges renders the Dockerfile locations an error carries:
// "Dockerfile:2:1-2:20" for each range of each source.
func sourceRanges(err error) []string {
	var out []string
	for _, s := range errdefs.Sources(err) {
		for _, r := range s.Ranges {
			out = append(out, fmt.Sprintf("%s:%d:%d-%d:%d", s.Info.Filename, r.Start.Line, r.Start.Character, r.End.Line, r.End.Character))
		}
	}
	return out
}

// TestTriggerPathsThatWouldReplaceTheImagesFiles: the frontend copies an
// empty trigger, mode 0666, to RESTART_TRIGGER. Where the image has a file
// (or a link to one, or a file behind a linked folder) that would destroy it
// and let every user write it (/passwd-link to /etc/passwd), so the build
// fails; a system folder is refused by its name already. Only an
// empty file, such as the trigger of a base image built with the frontend,
// may be there.
func TestTriggerPathsThatWouldReplaceTheImagesFiles(t *testing.T) {
	const df = "FROM busybox\n" +
		"RUN ln -s /etc /etc-link && ln -s /etc/passwd /passwd-link && mkfifo /fifo && touch /empty\n" +
		"ENTRYPOINT [\"sleep\", \"1000\"]\n"
	const noSuchPath = "give a path the image does not have"
	for _, tc := range []struct{ trigger, want, fix string }{
		// A system folder is refused by name, before the image is read.
		{"/etc/passwd", "want a file outside /etc", "/restart/trigger on an emptyDir"},
		{"/passwd-link", "the image has a file of ", noSuchPath},    // the link is followed
		{"/etc-link/group", "the image has a file of ", noSuchPath}, // so is a folder's
		{"/fifo", "the image has a named pipe there", noSuchPath},
		{"/srv/new/trigger", "", ""}, // not in the image: created
	} {
		t.Run(tc.trigger, func(t *testing.T) {
			t.Parallel()
			err := newBuild(t, df).withBuildArg("RESTART_TRIGGER", tc.trigger).run(nil)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("the build failed: %v", err)
				}
				return
			}
			checkError(t, err, "RESTART_TRIGGER", strconv.Quote(tc.trigger), tc.want, tc.fix)
		})
	}
	t.Run("an empty file becomes the trigger", func(t *testing.T) {
		t.Parallel()
		newBuild(t, df).withBuildArg("RESTART_TRIGGER", "/empty").mustRun(func(b *build) {
			b.checkFile("", "/empty", 0o666, 0)
		})
	})
}

// TestImageSTOPSIGNALNoSignal: upstream takes any number as STOPSIGNAL; the
// supervisor cannot send 100, and says so.
func TestImageSTOPSIGNALNoSignal(t *testing.T) {
	t.Parallel()
	const df = "FROM busybox\nSTOPSIGNAL 100\nCMD [\"sleep\", \"1000\"]\n"
	up := newBuild(t, df)
	up.fn = builder.Build
	up.mustRun(nil)
	err := newBuild(t, df).run(nil)
	checkError(t, err, `STOPSIGNAL "100"`, "RESTART_STOP_SIGNAL")
	newBuild(t, df).withBuildArg("RESTART_STOP_SIGNAL", "SIGTERM").mustRun(nil)
}

// TestNoCommandStillBuilds: an image with neither ENTRYPOINT nor CMD builds;
// the supervisor alone is its entrypoint (it exits 127 with a message at run
// time: test/e2e/faults_test.go).
func TestNoCommandStillBuilds(t *testing.T) {
	t.Parallel()
	newBuild(t, "FROM scratch\nCOPY app /app\n").withFile("app", "x").mustRun(func(b *build) {
		cfg := b.image("").Config
		app, wrapped := wrap.Unwrap(cfg.Entrypoint)
		if !wrapped || len(app) != 0 || len(cfg.Cmd) != 0 {
			t.Errorf("entrypoint %q cmd %q, want the supervisor and its options alone", cfg.Entrypoint, cfg.Cmd)
		}
	})
}

// TestAppendedFilesAreRootsAndReadOnly: no user but root can replace the
// supervisor, the tools or their folder, nothing appended is setuid or
// setgid, and the trigger any user can write is not executable.
func TestAppendedFilesAreRootsAndReadOnly(t *testing.T) {
	t.Parallel()
	newBuild(t, "FROM scratch\nCOPY app /app\nUSER 1000:1000\nENTRYPOINT [\"/app\"]\n").withFile("app", "x").
		withBuildArg("RESTART_TOOLS", "on").withBuildArg("RESTART_TRIGGER", "/tmp/restart/trigger").
		mustRun(func(b *build) {
			for _, f := range []struct {
				path string
				perm os.FileMode
				dir  bool
			}{
				{contract.SupervisorDir, 0o755, true},
				{contract.SupervisorPath, 0o755, false},
				{contract.ToolsPath, 0o755, false},
				{"/tmp", 0o755, true},
				{"/tmp/restart", 0o755, true},
				{"/tmp/restart/trigger", 0o666, false},
			} {
				st := b.stat("", f.path)
				if st == nil {
					t.Errorf("%s is missing", f.path)
					continue
				}
				mode := os.FileMode(st.Mode)
				if mode.IsDir() != f.dir || mode.Perm() != f.perm || mode&(os.ModeSetuid|os.ModeSetgid|os.ModeSticky) != 0 || st.Uid != 0 || st.Gid != 0 {
					t.Errorf("%s is %v %d:%d, want %v owned by 0:0 (folder: %v)", f.path, mode, st.Uid, st.Gid, f.perm, f.dir)
				}
			}
			entries, err := b.ref("").ReadDir(b.ctx, gwclient.ReadDirRequest{Path: "/usr/local/bin"})
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"tar", "rm"} {
				if !slices.ContainsFunc(entries, func(e *fstypes.Stat) bool { return e.Path == name && e.Linkname == contract.ToolsPath }) {
					t.Errorf("/usr/local/bin/%s is not a link to %s: %v", name, contract.ToolsPath, entries)
				}
			}
		})
}
