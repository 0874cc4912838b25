//go:build linux

package supervisor_test

import (
	"os"
	"sort"
	"strconv"
	"testing"
	"time"
)

// BenchmarkRestart measures a restart end to end: from the write of the
// trigger to the first line of output of the new generation, through
// inotify, the stop signal, the exit of the old app, the reap, the /proc
// scan and the exec of the new one. It reports the median and the 99th
// percentile next to the mean (ns/op).
func BenchmarkRestart(b *testing.B) {
	apps := []struct {
		name string
		argv []string
		pid1 bool
	}{
		// A shell that execs a process dying of SIGTERM, as most apps do.
		{"sh", []string{"sh", "-c", "echo start pid=$$; exec sleep 1000"}, false},
		// The same with the supervisor as PID 1 of a PID namespace, as in a
		// container.
		{"sh-pid1", []string{"sh", "-c", "echo start pid=$$; exec sleep 1000"}, true},
		// A Go program (this test binary) that exits on SIGTERM.
		{"go", appArgs(), false},
	}
	for _, a := range apps {
		b.Run(a.name, func(b *testing.B) {
			var wrap []string
			if a.pid1 {
				wrap = pidNamespace(b)
			}
			s := startSup(b, supOptions{args: []string{"--quiet"}, app: a.argv, wrap: wrap})
			s.line(`^start`, 1)
			times := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				begin := time.Now()
				if err := os.WriteFile(s.trigger, []byte(strconv.Itoa(i)+"\n"), 0o666); err != nil {
					b.Fatal(err)
				}
				s.line(`^start`, i+2)
				times = append(times, time.Since(begin))
			}
			b.StopTimer()
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			b.ReportMetric(float64(times[len(times)/2].Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(times[len(times)*99/100].Nanoseconds()), "p99-ns")
		})
	}
}
