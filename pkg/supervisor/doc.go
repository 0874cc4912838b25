// Package supervisor is the process supervisor that the restart frontend
// puts in front of an image's command:
//
//	/.restart/supervisor [options] -- <original ENTRYPOINT and CMD>
//
// It runs the command, restarts it within milliseconds when Tilt's
// live_update touches the trigger file (or files change under watched
// directories), forwards signals to it, and reaps zombies when it is PID 1.
// It depends on nothing but the standard library and golang.org/x/sys, and
// the Linux kernel: no shell, no tar, no inotify tools in the image.
//
// The options are parsed and rendered by package options, which the
// frontend shares, so build arguments are validated and baked with exactly
// the supervisor's rules; the restart subcommand's options go through the
// same parser (options.ParseFlags). Main is the whole program.
//
// # Theory of operation
//
// The supervisor is shaped like tini: setup, signals, spawn, then a single
// event loop.
//
//  1. Setup: parse options and RESTART_* variables (exit 2 on a bad value,
//     127 without a command); unless PID 1, become a child subreaper so that
//     orphans of the app are reparented to the supervisor; create the
//     trigger file 0666 if missing; start the watcher (package watch).
//  2. Signals: signal.Notify with explicit lists, before anything starts.
//  3. Spawn: the first generation of the app.
//  4. Loop: one goroutine selects over SIGCHLD, forwarded signals, watcher
//     events and the stop timeout, and feeds them one at a time to the
//     lifecycle state machine (lifecycle.go). That goroutine owns every
//     wait4 call: processes are started with syscall.ForkExec and never
//     waited for otherwise.
//
// The process tree, when the supervisor is a container's PID 1:
//
//	supervisor (PID 1, session 1)
//	└── app leader (process group G = its pid; the terminal's foreground group)
//	    ├── worker (group G)
//	    └── daemon (setsid: its own session; when its parent exits it is
//	        reparented to PID 1, and still belongs to the generation)
//	docker exec'd processes (parent outside the namespace: ppid 0; spared)
//
// The app is exec'd directly (PATH lookup like execvp, no shell), in a new
// process group, with the supervisor's stdin, stdout, stderr (never
// buffered or rewritten), working directory, user, and environment minus
// every RESTART_* variable. With a terminal on stdin the child puts its group
// in the terminal's foreground before exec, so Ctrl-C reaches the app; while
// no app runs (exit policy continue) the supervisor takes the terminal back
// so Ctrl-C reaches it.
//
// # Generations
//
// A generation is the leader and every process it started, wherever they
// went (generation in procs_linux.go). Not PID 1: every descendant of the
// supervisor, which is a subreaper. PID 1: every process of the PID
// namespace whose parents lead to the supervisor without crossing a process
// entered from outside (ppid 0: docker exec, kubectl exec, Tilt's sync and
// run steps). An orphan reparented to PID 1 is spared when its session is not
// the supervisor's and is outside the namespace or led by a live exec'd
// process; an orphan of a finished exec session looks like a daemon of the
// app and is stopped with it. When /proc does not belong to the namespace,
// SIGKILL goes to every process (kill -1).
//
// # Restart sequence
//
//	trigger ─► stop signal (SIGTERM) to the leader's group, and to every other
//	│          process of the generation; SIGCONT after it
//	│          wait: each SIGCHLD reaps, then rescans /proc
//	├─ all gone ─────────────────────────────► start the new generation
//	└─ stop timeout (5s) ─► SIGKILL to the generation ─► all gone ─► start
//
// No sleep and no poll is on that path: the first trigger acts at once and
// SIGCHLD paces the rest. Two generations are never alive together. Triggers
// that arrive while a restart is in progress join it: the new generation
// starts after them anyway. A terminating signal during a restart cancels
// the new generation: the supervisor exits once the old one is gone.
//
// # States
//
// The lifecycle (lifecycle.go) is in one of eight states, and five events
// move it: a trigger (the trigger file or a watched directory changed), the
// leader's exit (or failed start), the generation gone (no process of it is
// left), the stop timeout, and a terminating signal. Each row says where an
// event leads from a state; "-" means it stays (the event may still be
// logged, and signals are forwarded). TestDocStateTable holds this table
// and the transition function (next) equal.
//
//	state             trigger    leader-exit  gone     timeout          terminate
//	running           stopping   done*        -        -                exiting
//	exiting           -          done         -        -                -
//	stopping          -          -            running  killing          stopping-to-exit
//	killing           -          -            running  -                killing-to-exit
//	stopping-to-exit  -          -            done     killing-to-exit  -
//	killing-to-exit   -          -            done     -                -
//	idle              stopping+  -            -        -                done
//	done              -          -            -        -                -
//
//	*  idle under exit policy continue
//	+  running when no process of the last generation is left
//
// Entering running starts a generation; stopping sends the stop signal and
// arms the timer (with a stop timeout of 0, or SIGKILL as the stop signal,
// the timeout is at once); killing and killing-to-exit send SIGKILL, when
// entered on the timeout; idle takes the terminal back; done kills what is
// left and ends the loop with the last app's exit code.
//
// # restart --wait and --listen
//
// The event loop reports each generation's start, and each end that was not
// asked for, on a status stream that `restart --wait` reads (status.go says
// why a socket and how requests are matched to generations). --listen
// sockets are opened before the first generation and passed to every one;
// the child runs the supervisor's own binary as a shim that sets LISTEN_PID
// and execs the app (listen_linux.go), so the tracked pid is the app's.
//
// # Threat model
//
// Who can reach the supervisor, and what they can do:
//   - Any process in the container can restart the app: the trigger is
//     writable by every user on purpose, because the live update runs as
//     whatever user the runtime picks (the image's USER, root, a Kubernetes
//     runAsUser). Restarting is all the trigger does; its content is only a
//     request stamp (status.go).
//   - What such a process plants at the trigger cannot stall PID 1: the
//     stamp is read in a goroutine of its own, through no link, without
//     blocking, from a regular file only, 64 bytes at most
//     (trigger_linux.go); a stamp from the future is ignored. restart writes
//     through no link and into no FIFO.
//   - Other containers of the pod share the network namespace, hence the
//     abstract status socket: they can connect, flood, or bind its name first.
//     Both ends prove they share the mount namespace before any line is sent
//     or believed (proof_linux.go); the server caps and prunes its
//     connections and never stops accepting (status_linux.go). A neighbour
//     that holds the name makes `restart --wait` fail with a clear error;
//     restarts still work.
//   - Names of changed files are quoted in the log when not printable, so
//     they cannot forge log lines or drive a terminal.
//   - The options refuse triggers among the system's files and watches on
//     /, /proc, /sys and /dev (package options).
//
// docs/security.md says the same for users, with tar and rm (package tools).
//
// # Signals
//
//	SIGHUP SIGINT SIGQUIT SIGTERM      forwarded to the app's group; then
//	and the --stop-signal              exit when the app's leader exits
//	SIGUSR1 SIGUSR2 SIGALRM SIGWINCH   forwarded to the app's group
//	SIGCONT SIGTSTP SIGIO SIGPWR ...
//	SIGRTMIN+1..SIGRTMAX (35-64)
//	SIGILL SIGTRAP SIGABRT SIGBUS      forwarded when sent by another process
//	SIGFPE SIGSEGV SIGSYS              (a real fault still crashes)
//	SIGCHLD                            reap
//	SIGPIPE SIGTTIN SIGTTOU            caught and dropped (not ignored: the
//	                                   app keeps the default disposition)
//	SIGURG SIGPROF                     left to the Go runtime
//	32 33 SIGRTMIN (34)                reserved by the Go runtime: cannot be
//	                                   caught (PID 1 never receives them)
//	SIGKILL SIGSTOP                    cannot be caught
//
// No timeout of the supervisor's own follows a terminating signal: `docker
// stop` returns as soon as the app stops, and the runtime's SIGKILL deals with
// an app that ignores it.
//
// # Files
//
//	doc.go                 this overview
//	main.go, trigger.go    Main, usage, the trigger file (portable)
//	trigger_linux.go       reading and writing the trigger, no links followed
//	restart.go             the restart subcommand's options (portable)
//	log.go                 event lines, exit statuses, durations (portable)
//	status.go              the status lines restart --wait reads (portable)
//	status_linux.go        the status stream: an abstract unix socket
//	proof_linux.go         both ends of it prove they share the container
//	wait_linux.go          restart --wait: follow the request's generation
//	peers_linux.go         restart: the supervisors of a shared PID namespace
//	listen_linux.go        --listen sockets, LISTEN_* and the shim
//	lifecycle.go           the state machine, behind the runner seam (portable)
//	run_linux.go           setup and the event loop
//	run_other.go           elsewhere: an error, as the supervisor runs on Linux
//	spawn_linux.go         the command: PATH lookup, ForkExec, exec errors
//	runner_linux.go        the runner: stop, kill, forward, timer
//	procs_linux.go         generations in /proc
//	reap_linux.go          wait4
//	sigs_linux.go          signal lists, the terminal
//	watch/                 inotify, polling, debouncing
//	internal/alarm/        the stop timeout's timer, without time.Timer
//	internal/dirent/       /proc listings, without package os's
//
// TestDocFileMap holds this list to the package's files.
//
// # Exit codes
//
//	app's code       the app exited by itself (exit policy exit), or after a
//	                 terminating signal
//	128+N            the app was killed by signal N
//	2                bad option or RESTART_* value
//	126              the command cannot be executed (permission, format)
//	127              no command, or command not found
//
// With exit policy continue, an app that exits by itself (or cannot be
// executed) is logged and started again by the next trigger.
package supervisor
