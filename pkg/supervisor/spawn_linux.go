//go:build linux

package supervisor

import (
	"errors"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
	"github.com/tilt-dev/restart-frontend/pkg/options"
)

// command is what to run: the app's argv and environment.
type command struct {
	argv    []string
	env     []string // the container's environment minus RESTART_*
	path    string   // PATH of env, for the lookup
	files   []uintptr
	tty     terminal
	sockets bool // files holds --listen sockets from fd 3: run the app through the shim
}

// defaultPath is what execvp searches when PATH is unset.
const defaultPath = "/bin:/usr/bin"

// newCommand makes the app's command; listens are the fds of the --listen
// sockets, in the order of list.
func newCommand(argv, env []string, tty terminal, list []options.Listen, listens []int) *command {
	c := &command{argv: argv, env: env, tty: tty, path: defaultPath}
	if p, ok := options.LookupEnv(env, "PATH"); ok {
		c.path = p
	}
	// The app gets the supervisor's stdin, stdout and stderr. One that is
	// closed stays closed: passing it would make the child fail (EBADF).
	for fd := 0; fd < 3; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			c.files = append(c.files, ^uintptr(0))
		} else {
			c.files = append(c.files, uintptr(fd))
		}
	}
	if len(listens) > 0 {
		for _, fd := range listens {
			c.files = append(c.files, uintptr(fd))
		}
		c.env, c.sockets = listenEnv(env, list), true
	}
	return c
}

// execError is a failure to start the app.
type execError struct {
	code int // 127: not found; 126: found but not runnable
	msg  string
}

func (e *execError) Error() string { return e.msg }

// spawn starts the app in a new process group and, with a terminal, in the
// terminal's foreground. It never waits for it: the event loop reaps.
func (c *command) spawn() (int, error) {
	file, err := lookPath(c.argv[0], c.path)
	if err != nil {
		return 0, err
	}
	exe, argv := file, c.argv
	if c.sockets {
		exe, argv = selfExe, append([]string{contract.SupervisorName, shimCommand, file}, c.argv...)
	}
	attr := &syscall.ProcAttr{
		Env:   c.env,
		Files: c.files,
		Sys: &syscall.SysProcAttr{
			Setpgid:    true,
			Foreground: c.tty.ok, // tcsetpgrp in the child, before exec
			Ctty:       0,        // the child's stdin
		},
	}
	var pid int
	for try := 0; ; try++ {
		pid, err = syscall.ForkExec(exe, argv, attr)
		if err == nil {
			return pid, nil
		}
		if attr.Sys.Foreground && (err == unix.ENOTTY || err == unix.EPERM || err == unix.ENXIO || err == unix.EIO) {
			// The terminal cannot be handed over (e.g. not ours any more):
			// run the app in the background of it from now on.
			attr.Sys.Foreground, c.tty.ok = false, false
			continue
		}
		if !retryTextBusy(err, try) {
			return 0, execFailure(c.argv[0], file, err)
		}
	}
}

// retryTextBusy waits a little and says to try exec again when it failed
// because the executable is still being written (a sync in progress).
func retryTextBusy(err error, try int) bool {
	if err != unix.ETXTBSY || try >= 10 {
		return false
	}
	time.Sleep(20 * time.Millisecond)
	return true
}

// execFailure maps an exec error to tini's exit codes with a clear message.
func execFailure(name, file string, err error) error {
	errno, _ := err.(syscall.Errno)
	switch errno {
	case unix.ENOENT, unix.ENOTDIR, unix.ELOOP, unix.ENAMETOOLONG:
		msg := "cannot run " + name + ": " + err.Error()
		if errno == unix.ENOENT && file != "" {
			// The file exists (lookPath saw it): its #! interpreter or its
			// dynamic loader does not.
			msg = "cannot run " + file + ": its interpreter (#! line) or dynamic loader was not found"
		}
		return &execError{code: ExitNotFound, msg: msg}
	case unix.ENOEXEC:
		return &execError{code: ExitNotRunnable, msg: "cannot run " + file + ": exec format error: not a " +
			runtime.GOOS + "/" + runtime.GOARCH + " executable, or a script without a #! line"}
	}
	return &execError{code: ExitNotRunnable, msg: "cannot run " + file + ": " + err.Error()}
}

// lookPath finds an executable like execvp: a name with a slash is used as
// is, others are searched in PATH (an empty entry is the working directory).
func lookPath(name, pathEnv string) (string, error) {
	if name == "" {
		return "", &execError{code: ExitNotFound, msg: "cannot run the app: its command is an empty string"}
	}
	if strings.Contains(name, "/") {
		if err := checkExecutable(name); err != nil {
			if err == unix.ENOENT || err == unix.ENOTDIR {
				return "", &execError{code: ExitNotFound, msg: "cannot run " + name + ": no such file or directory"}
			}
			return "", &execError{code: ExitNotRunnable, msg: "cannot run " + name + ": " + err.Error()}
		}
		return name, nil
	}
	var denied error
	deniedFile := ""
	for _, dir := range strings.Split(pathEnv, ":") {
		if dir == "" {
			dir = "."
		}
		file := dir + "/" + name
		err := checkExecutable(file)
		if err == nil {
			return file, nil
		}
		if denied == nil && err != unix.ENOENT && err != unix.ENOTDIR {
			denied, deniedFile = err, file
		}
	}
	if denied != nil {
		return "", &execError{code: ExitNotRunnable, msg: "cannot run " + deniedFile + ": " + denied.Error()}
	}
	return "", &execError{code: ExitNotFound, msg: "cannot run " + name + ": executable file not found in PATH (" + pathEnv + ")"}
}

// checkExecutable reports why file cannot be executed, if it cannot.
func checkExecutable(file string) error {
	var st unix.Stat_t
	if err := unix.Stat(file, &st); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return errors.New("is a directory")
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return errors.New("not a regular file")
	}
	if err := unix.Access(file, unix.X_OK); err != nil {
		if err == unix.EACCES {
			return errors.New("permission denied (not executable)")
		}
		return err
	}
	return nil
}
