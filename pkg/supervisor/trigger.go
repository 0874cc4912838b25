package supervisor

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"strconv"
	"strings"
	"syscall"

	"github.com/tilt-dev/restart-frontend/pkg/contract"
	"github.com/tilt-dev/restart-frontend/pkg/options"
)

// ensureTrigger creates the trigger file (and its directory) if it is
// missing, with mode 0666 whatever the umask, so that any user can touch it.
// It returns a description of the problem when it cannot, and
// syscall.EROFS when the trigger is on a read-only file system, where no
// live update can write it.
func ensureTrigger(p string) error {
	// No stat: package os's FileInfo would link time formatting into the
	// binary. An exclusive create says all there is to know.
	f, err := os.OpenFile(p, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o666)
	if os.IsNotExist(err) {
		if err := mkdirAll(path.Dir(p)); err != nil {
			return err
		}
		f, err = os.OpenFile(p, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o666)
	}
	if os.IsExist(err) {
		// Opening for writing is refused on a read-only file system (a
		// read-only root) whatever the mode. Nothing is written, and the
		// watch that would see the close is not started yet.
		f, err := os.OpenFile(p, os.O_WRONLY, 0)
		if errors.Is(err, syscall.EROFS) {
			return err
		}
		if err == nil {
			f.Close()
		}
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Chmod(0o666)
}

// readOnlyFix says how to give a read-only root filesystem a trigger.
const readOnlyFix = "mount a writable volume (Kubernetes: an emptyDir; docker run: --tmpfs) and set RESTART_TRIGGER to a path in it"

// explainEnsure is the supervisor's one line at start when ensureTrigger
// fails.
func explainEnsure(p string, err error) string {
	if errors.Is(err, syscall.EROFS) {
		return "the trigger " + p + " is on a read-only file system (Kubernetes readOnlyRootFilesystem, docker run --read-only): " +
			"no live update can write it; " + readOnlyFix
	}
	return "cannot create the trigger " + p + ": " + pathErrorText(err) + "; watching its directory for it to appear"
}

// mkdirAll is os.MkdirAll without its stat calls.
func mkdirAll(dir string) error {
	err := os.Mkdir(dir, 0o755)
	if err == nil || os.IsExist(err) {
		return nil
	}
	if os.IsNotExist(err) && dir != "/" {
		if err := mkdirAll(path.Dir(dir)); err != nil {
			return err
		}
		err = os.Mkdir(dir, 0o755)
		if os.IsExist(err) {
			return nil
		}
	}
	return err
}

// readFile is os.ReadFile without its stat call, for /proc files.
func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// triggerPath finds the trigger the running supervisor watches, for the
// restart subcommand: its own --trigger option (flag, "" if not given), else
// RESTART_TRIGGER, else the options of the supervisor running as PID 1 (its
// command line and, if readable, its environment), else those of the one
// supervisor among peers (the processes of a shared PID namespace, such as
// a Kubernetes pod with shareProcessNamespace, where PID 1 is the pause
// process), else the default.
func triggerPath(flag string, env []string, readFile func(string) ([]byte, error), peers func() []string) (string, string, error) {
	if flag != "" {
		return flag, "--trigger", nil
	}
	if v, ok := options.LookupEnv(env, "RESTART_TRIGGER"); ok && v != "" {
		c, _, err := options.ParseConfig(nil, []string{"RESTART_TRIGGER=" + v})
		if err != nil {
			return "", "", err
		}
		return c.Trigger, "RESTART_TRIGGER", nil
	}
	if p, ok := supervisorTrigger("1", readFile); ok {
		return p, "the supervisor running as PID 1", nil
	}
	found, from := "", ""
	for _, pid := range peers() {
		if p, ok := supervisorTrigger(pid, readFile); ok {
			if found != "" && p != found {
				found = "" // two supervisors with different triggers: do not guess
				break
			}
			found, from = p, "the supervisor running as pid "+pid
		}
	}
	if found != "" {
		return found, from, nil
	}
	return contract.DefaultTrigger, "the default", nil
}

// supervisorTrigger reads the trigger of process pid if it is a supervisor
// running an app: its argv[0] is named [contract.SupervisorName], it runs no
// subcommand, and its arguments parse.
func supervisorTrigger(pid string, readFile func(string) ([]byte, error)) (string, bool) {
	cmdline, err := readFile("/proc/" + pid + "/cmdline")
	if err != nil || len(cmdline) == 0 {
		return "", false
	}
	argv := strings.Split(strings.TrimSuffix(string(cmdline), "\x00"), "\x00")
	if path.Base(argv[0]) != contract.SupervisorName || (len(argv) > 1 && isSubcommand(argv[1])) {
		return "", false
	}
	var env []string
	if environ, err := readFile("/proc/" + pid + "/environ"); err == nil {
		env = strings.Split(strings.TrimSuffix(string(environ), "\x00"), "\x00")
	}
	c, _, err := options.ParseConfig(argv[1:], env)
	if err != nil {
		return "", false
	}
	return c.Trigger, true
}

// pathErrorText is the error without the operation and path that
// *fs.PathError repeats.
func pathErrorText(err error) string {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

func explainTouch(p, from string, err error) string {
	who := "uid " + strconv.Itoa(os.Getuid()) + " (gid " + strconv.Itoa(os.Getgid()) + ")"
	msg := "cannot write the trigger " + p + " (from " + from + ") as " + who + ": " + pathErrorText(err)
	if os.IsPermission(err) {
		msg += "; the trigger must be writable by the user running restart: " +
			"make it mode 0666, or set --trigger/RESTART_TRIGGER to a writable path"
	}
	if errors.Is(err, syscall.EROFS) {
		msg += "; " + readOnlyFix + ", for the supervisor and for restart"
	}
	return msg
}
