package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/pkg/errors"
)

// IdleOptions configures [Idle].
type IdleOptions struct {
	Supervisor string
	Entr       string
	Dir        string
	Settle     time.Duration // after start, before measuring
	Window     time.Duration // CPU time is measured over this much idle time
}

// Idle measures a supervisor running `sleep` and doing nothing else: its
// resident memory (VmRSS in /proc/PID/status) and the CPU time it uses over
// Window (utime+stime in /proc/PID/stat, in clock ticks of 10 ms). entr
// running the same sleep is measured beside it.
func Idle(ctx context.Context, o IdleOptions) ([]Figure, error) {
	dir := filepath.Join(o.Dir, "idle")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	trigger := filepath.Join(dir, "trigger")
	if err := writeContent(trigger); err != nil {
		return nil, err
	}
	sleepBin, err := exec.LookPath("sleep")
	if err != nil {
		return nil, err
	}
	procs := []*exec.Cmd{
		exec.Command(o.Supervisor, "--trigger="+trigger, "--", sleepBin, "3600"),
		exec.Command(o.Entr, "-nrz", sleepBin, "3600"),
	}
	procs[1].Stdin = strings.NewReader(trigger + "\n")
	for _, p := range procs {
		if err := p.Start(); err != nil {
			return nil, err
		}
		defer func(p *exec.Cmd) {
			_ = p.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = p.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = p.Process.Kill()
				<-done
			}
		}(p)
	}
	if err := sleep(ctx, o.Settle); err != nil {
		return nil, err
	}
	var rss [2]float64
	var cpu0, cpu1 [2]int64
	for i, p := range procs {
		if rss[i], err = vmRSS(p.Process.Pid); err != nil {
			return nil, err
		}
		if cpu0[i], err = cpuTicks(p.Process.Pid); err != nil {
			return nil, err
		}
	}
	if err := sleep(ctx, o.Window); err != nil {
		return nil, err
	}
	for i, p := range procs {
		if cpu1[i], err = cpuTicks(p.Process.Pid); err != nil {
			return nil, err
		}
	}
	const tick = 10 // ms: USER_HZ is 100 on every Linux architecture
	cpu := func(i int) float64 { return float64((cpu1[i] - cpu0[i]) * tick) }
	r := Figure{Name: "idle resident memory (VmRSS)", Value: rss[0], Unit: "MiB", Samples: 1,
		Note: "supervisor running sleep, " + o.Settle.String() + " after start"}.compare("entr -rz", rss[1])
	r = r.target("≤ 4 MiB", r.Value <= 4)
	c := Figure{Name: "idle CPU time over " + o.Window.String(), Value: cpu(0), Unit: "ms", Samples: 1,
		Note: "utime+stime from /proc/PID/stat, 10 ms ticks"}.compare("entr -rz", cpu(1))
	c = c.target("0", c.Value == 0)
	return []Figure{r, c}, nil
}

// vmRSS returns the resident set size of pid in MiB.
func vmRSS(pid int) (float64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024, err
		}
	}
	return 0, errors.Errorf("no VmRSS for pid %d", pid)
}

// cpuTicks returns utime+stime of pid, in clock ticks.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: fields count from the ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, errors.Errorf("short /proc/%d/stat", pid)
	}
	u, err := strconv.ParseInt(f[11], 10, 64)
	if err != nil {
		return 0, err
	}
	st, err := strconv.ParseInt(f[12], 10, 64)
	return u + st, err
}
