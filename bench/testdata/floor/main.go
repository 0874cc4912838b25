// Command floor is the least a supervisor written in Go must be: it starts
// its arguments as a command, relays every signal to it and exits with its
// status, and nothing else. hack/bench builds it as the frontend image builds
// the supervisor (static, -trimpath, -ldflags "-s -w") and the size figures
// compare the two: no Go supervisor can be smaller than this program.
package main

import (
	"os"
	"os/signal"
)

func main() {
	if len(os.Args) < 2 {
		os.Stderr.WriteString("usage: floor command [args...]\n")
		os.Exit(2)
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs)
	p, err := os.StartProcess(os.Args[1], os.Args[1:], &os.ProcAttr{Files: []*os.File{os.Stdin, os.Stdout, os.Stderr}})
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(127)
	}
	go func() {
		for s := range sigs {
			_ = p.Signal(s)
		}
	}()
	state, err := p.Wait()
	if err != nil {
		os.Exit(1)
	}
	os.Exit(state.ExitCode())
}
