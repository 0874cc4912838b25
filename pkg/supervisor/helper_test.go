//go:build linux

package supervisor_test

// The test binary doubles as the app the supervisor runs: with
// SUPTEST_HELPER set, TestMain runs helperMain instead of the tests. The app
// reports on stdout, one line per fact, which the tests read through the
// supervisor's stdout.

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

const helperEnv = "SUPTEST_HELPER"

func helperMain() int {
	switch os.Getenv(helperEnv) {
	case "app":
		return appMain(os.Args[1:])
	case "sleeper":
		return sleeperMain(os.Args[1:])
	case "middle":
		return middleMain(os.Args[1:])
	case "orphaner":
		return orphanerMain()
	case "squatter":
		return squatterMain()
	}
	fmt.Fprintln(os.Stderr, "unknown helper", os.Getenv(helperEnv))
	return 2
}

// appMain is the app: it reports its start, then does what its flags say.
func appMain(args []string) int {
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	state := fs.String("state", "", "state directory (generation lock, pid files)")
	trigger := fs.String("trigger", "", "trigger file whose content the start line shows")
	ignoreTerm := fs.Bool("ignore-term", false, "ignore SIGTERM")
	signals := fs.Bool("signals", false, "report every signal; exit 7 on TERM, INT, QUIT, HUP")
	exitCode := fs.Int("exit", -1, "exit at once with this code")
	children := fs.Bool("children", false, "start a child in the group, a setsid'd child and a double-forked daemon")
	childrenIgnoreTerm := fs.Bool("children-ignore-term", false, "the children ignore SIGTERM")
	orphans := fs.Int("orphans", 0, "make this many orphans that exit, then report zombies")
	printEnv := fs.Bool("print-env", false, "report the environment, arguments and working directory")
	tty := fs.Bool("tty", false, "report the terminal's foreground process group; exit 130 on SIGINT, 143 on SIGTERM")
	restartOnce := fs.String("restart-once", "", "run this supervisor binary's restart subcommand in the first generation")
	laterExit := fs.Int("later-exit", -1, "from generation 2 on, exit at once with this code")
	laterSignal := fs.Int("later-signal", 0, "from generation 2 on, kill itself with this signal")
	serve := fs.Int("serve", 0, "serve this loopback TCP port (the LISTEN_FDS socket if given); stop gracefully on SIGTERM")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *ignoreTerm {
		signal.Ignore(syscall.SIGTERM)
	}
	var sigs chan os.Signal
	if *signals || *tty {
		sigs = make(chan os.Signal, 64)
		signal.Notify(sigs, catchable()...)
	}
	gen := 0
	overlap := ""
	if *state != "" {
		gen = countStart(*state)
		if !lockGeneration(*state) {
			overlap = " OVERLAP"
		}
	}
	if *children {
		startChildren(*state, *childrenIgnoreTerm)
	}
	content := ""
	if *trigger != "" {
		b, _ := os.ReadFile(*trigger)
		content = " trigger=" + strings.TrimSpace(string(b))
	}
	fmt.Printf("start pid=%d gen=%d%s%s\n", os.Getpid(), gen, content, overlap)
	if *printEnv {
		wd, _ := os.Getwd()
		var env []string
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, helperEnv+"=") {
				env = append(env, kv)
			}
		}
		fmt.Printf("args %q\nwd %s\nenv %q\n", fs.Args(), wd, env)
	}
	if *tty {
		fg, err := unix.IoctlGetInt(0, unix.TIOCGPGRP)
		fmt.Printf("tty fg=%d pgrp=%d err=%v\n", fg, unix.Getpgrp(), err)
	}
	if *orphans > 0 {
		reportZombies(*orphans)
	}
	if *restartOnce != "" && gen == 1 {
		out, err := exec.Command(*restartOnce, "restart").CombinedOutput()
		fmt.Printf("restart subcommand: err=%v out=%q\n", err, out)
	}
	if *exitCode >= 0 {
		return *exitCode
	}
	if gen > 1 && *laterExit >= 0 {
		return *laterExit
	}
	if gen > 1 && *laterSignal > 0 {
		signal.Reset()
		syscall.Kill(os.Getpid(), syscall.Signal(*laterSignal))
	}
	if *serve > 0 {
		return serveMain(*serve, gen)
	}
	for {
		if sigs == nil {
			time.Sleep(time.Hour)
			continue
		}
		sig := (<-sigs).(syscall.Signal)
		fmt.Printf("got %s\n", unix.SignalName(sig))
		switch {
		case *tty && sig == syscall.SIGINT:
			return 130
		case *tty && sig == syscall.SIGTERM:
			return 143
		case *signals && (sig == syscall.SIGTERM || sig == syscall.SIGINT || sig == syscall.SIGQUIT || sig == syscall.SIGHUP):
			return 7
		}
	}
}

// catchable lists every signal the app reports.
func catchable() []os.Signal {
	var list []os.Signal
	for n := 1; n <= 64; n++ {
		switch syscall.Signal(n) {
		case syscall.SIGKILL, syscall.SIGSTOP, syscall.SIGCHLD, syscall.SIGURG, syscall.SIGPROF:
			continue
		}
		if n >= 32 && n <= 34 { // reserved by the Go runtime
			continue
		}
		list = append(list, syscall.Signal(n))
	}
	return list
}

// countStart appends to the state's start log and returns the generation.
func countStart(state string) int {
	f, err := os.OpenFile(filepath.Join(state, "starts"), os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o666)
	if err != nil {
		return -1
	}
	defer f.Close()
	unix.Flock(int(f.Fd()), unix.LOCK_EX)
	b, _ := os.ReadFile(f.Name())
	n := strings.Count(string(b), "\n") + 1
	fmt.Fprintf(f, "%d\n", os.Getpid())
	return n
}

// lockGeneration takes the generation lock: exclusive for a moment (which
// fails while any process of an earlier generation still holds it), then
// shared, held by every process of this generation until it dies. The lock
// is the kernel's: it proves no two generations were ever alive together.
func lockGeneration(state string) bool {
	f, err := os.OpenFile(filepath.Join(state, "gen.lock"), os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return false
	}
	ok := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB) == nil
	unix.Flock(int(f.Fd()), unix.LOCK_SH)
	keep = append(keep, f) // held until exit
	return ok
}

var keep []*os.File

func holdSharedLock(state string) {
	f, err := os.OpenFile(filepath.Join(state, "gen.lock"), os.O_RDWR, 0)
	if err == nil {
		unix.Flock(int(f.Fd()), unix.LOCK_SH)
		keep = append(keep, f)
	}
}

func self() string {
	exe, _ := os.Executable()
	return exe
}

func helperCmd(mode string, args ...string) *exec.Cmd {
	cmd := exec.Command(self(), args...)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	return cmd
}

// startChildren starts three sleepers that report their pids in files:
// one in the app's group, one in its own session, one double-forked daemon.
func startChildren(state string, ignoreTerm bool) {
	it := strconv.FormatBool(ignoreTerm)
	inGroup := helperCmd("sleeper", state, "group", it)
	inGroup.Start()
	setsid := helperCmd("sleeper", state, "session", it)
	setsid.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	setsid.Start()
	middle := helperCmd("middle", state, it)
	middle.Run() // exits once the daemon runs
	for _, name := range []string{"group", "session", "daemon"} {
		for i := 0; i < 2000; i++ {
			if _, err := os.Stat(filepath.Join(state, "pid."+name)); err == nil {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	fmt.Println("children ready")
}

// sleeperMain holds the generation lock, records its pid and sleeps.
func sleeperMain(args []string) int {
	state, name := args[0], args[1]
	if args[2] == "true" {
		signal.Ignore(syscall.SIGTERM)
	}
	holdSharedLock(state)
	tmp := filepath.Join(state, ".pid."+name)
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())), 0o666); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := os.Rename(tmp, filepath.Join(state, "pid."+name)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for {
		time.Sleep(time.Hour)
	}
}

// middleMain starts a setsid'd daemon and exits: the daemon is orphaned.
func middleMain(args []string) int {
	d := helperCmd("sleeper", args[0], "daemon", args[1])
	d.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := d.Start(); err != nil {
		return 1
	}
	return 0
}

// orphanerMain starts a short-lived child and exits without waiting: the
// child becomes an orphan of PID 1 and a zombie once it exits, unless PID 1
// reaps it.
func orphanerMain() int {
	c := exec.Command("sleep", "0.05")
	c.Start()
	return 0
}

// reportZombies makes n orphans that exit, then waits until /proc shows no
// zombie (other than its own unreaped children, which it reaps), and reports.
func reportZombies(n int) {
	for i := 0; i < n; i++ {
		helperCmd("orphaner").Run()
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		z := zombies()
		if len(z) == 0 {
			fmt.Println("zombies: none")
			return
		}
		if time.Now().After(deadline) {
			fmt.Printf("zombies: %v\n", z)
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func zombies() []string {
	var z []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i > 0 && strings.HasPrefix(s[i+1:], " Z") {
			z = append(z, s[:i+1])
		}
	}
	return z
}

// serveMain answers each connection with one line naming the generation,
// from the socket-activation fd 3 when LISTEN_PID is this process, else from
// a socket of its own. On SIGTERM it stops accepting, answers the
// connections it accepted, and exits 0, as a graceful server does.
func serveMain(port, gen int) int {
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	var l net.Listener
	var err error
	activated := os.Getenv("LISTEN_PID") == strconv.Itoa(os.Getpid())
	if activated && os.Getenv("LISTEN_FDS") == "1" {
		l, err = net.FileListener(os.NewFile(3, os.Getenv("LISTEN_FDNAMES")))
	} else {
		l, err = net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	}
	if err != nil {
		fmt.Printf("serve error %v\n", err)
		return 1
	}
	fmt.Printf("serving gen=%d activated=%v fds=%s names=%s\n", gen, activated, os.Getenv("LISTEN_FDS"), os.Getenv("LISTEN_FDNAMES"))
	var wg sync.WaitGroup
	go func() {
		<-term
		l.Close()
	}()
	for {
		c, err := l.Accept()
		if err != nil {
			wg.Wait()
			return 0
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			fmt.Fprintf(c, "gen=%d pid=%d\n", gen, os.Getpid())
			c.Close()
		}()
	}
}
