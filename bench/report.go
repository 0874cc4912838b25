package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/pkg/errors"
	"golang.org/x/sys/unix"
)

// Results is bench/results.json.
type Results struct {
	Machine  Machine   `json:"machine"`
	Started  time.Time `json:"started"`
	Seconds  float64   `json:"seconds"` // wall time of the whole run
	Figures  []Figure  `json:"figures"`
	Missed   []string  `json:"missed"`   // names of the figures whose target is not met
	Failures []string  `json:"failures"` // figures that could not be measured
}

// Machine describes where the figures were taken.
type Machine struct {
	CPU      string `json:"cpu"`
	Cores    int    `json:"cores"`
	MemoryGB int    `json:"memory_gb"`
	Kernel   string `json:"kernel"`
	Go       string `json:"go"`
	BuildKit string `json:"buildkit"`
	Docker   string `json:"docker"`
	Entr     string `json:"entr"`
	// Load is /proc/loadavg (1, 5 and 15 minutes) at the start and at the
	// end of the run: other work on the machine shows here.
	LoadStart string `json:"load_start"`
	LoadEnd   string `json:"load_end"`
}

// WriteFigures writes one measuring step's figures to path, for [Report].
func WriteFigures(path string, figs []Figure) error {
	b, err := json.MarshalIndent(figs, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// Report joins the figures of the given files (in order; a missing file is
// listed under failures), describes the machine, writes the results to out
// and prints the table to w.
func Report(ctx context.Context, w io.Writer, out string, started time.Time, load string, files []string) error {
	r := Results{Machine: describeMachine(ctx, load), Started: started.UTC().Round(time.Second),
		Seconds: math.Round(time.Since(started).Seconds()), Figures: []Figure{}, Missed: []string{}, Failures: []string{}}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			r.Failures = append(r.Failures, strings.TrimSuffix(baseName(f), ".json"))
			continue
		}
		var figs []Figure
		if err := json.Unmarshal(b, &figs); err != nil {
			return errors.Wrapf(err, "failed to read %s", f)
		}
		r.Figures = append(r.Figures, figs...)
	}
	for _, f := range r.Figures {
		if f.Met != nil && !*f.Met {
			r.Missed = append(r.Missed, f.Name)
		}
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	_, err = io.WriteString(w, Table(r))
	return err
}

// Table renders results as a Markdown table (docs/benchmarks.md's), then the
// machine, the misses and the failures.
func Table(r Results) string {
	var b strings.Builder
	rows := [][]string{{"figure", "ours", "compared with", "theirs", "ratio", "n", "target", "met"}}
	for _, f := range r.Figures {
		row := []string{f.Name, formatValue(f.Value, f.Unit), f.Comparison, "", "", fmt.Sprint(f.Samples), f.Target, ""}
		if f.ComparisonValue != nil {
			row[3] = formatValue(*f.ComparisonValue, f.Unit)
		}
		if f.Ratio != nil {
			row[4] = formatRatio(*f.Ratio)
		}
		if f.Met != nil {
			row[7] = map[bool]string{true: "yes", false: "**no**"}[*f.Met]
		}
		rows = append(rows, row)
	}
	widths := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	line := func(row []string) {
		b.WriteString("|")
		for i, c := range row {
			b.WriteString(" " + c + strings.Repeat(" ", widths[i]-len([]rune(c))) + " |")
		}
		b.WriteString("\n")
	}
	line(rows[0])
	sep := make([]string, len(widths))
	for i, w := range widths {
		sep[i] = strings.Repeat("-", w)
	}
	b.WriteString("|" + strings.Join(mapStrings(sep, func(s string) string { return "-" + s + "-" }), "|") + "|\n")
	for _, row := range rows[1:] {
		line(row)
	}
	m := r.Machine
	fmt.Fprintf(&b, "\nMachine: %s, %d cores, %d GB, Linux %s; %s, BuildKit %s, Docker %s, entr %s.\nRun: %s, %.0f s, load average %s at the start, %s at the end.\n",
		m.CPU, m.Cores, m.MemoryGB, m.Kernel, m.Go, m.BuildKit, m.Docker, m.Entr,
		r.Started.Format(time.RFC3339), r.Seconds, m.LoadStart, m.LoadEnd)
	if len(r.Missed) > 0 {
		fmt.Fprintf(&b, "Targets missed: %s.\n", strings.Join(r.Missed, "; "))
	} else if len(r.Figures) > 0 {
		b.WriteString("Every target met.\n")
	}
	if len(r.Failures) > 0 {
		fmt.Fprintf(&b, "Not measured (see the output above): %s.\n", strings.Join(r.Failures, ", "))
	}
	return b.String()
}

func formatValue(v float64, unit string) string {
	switch {
	case unit == "":
		return fmt.Sprintf("%g", v)
	case unit == "ms" && v >= 1000:
		return fmt.Sprintf("%.2f s", v/1000)
	case v != 0 && math.Abs(v) < 10:
		return fmt.Sprintf("%.2f %s", v, unit)
	default:
		return fmt.Sprintf("%.0f %s", v, unit)
	}
}

func formatRatio(r float64) string {
	if r < 0.1 {
		return fmt.Sprintf("%.3f×", r)
	}
	return fmt.Sprintf("%.2f×", r)
}

func mapStrings(xs []string, f func(string) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

func baseName(p string) string { return p[strings.LastIndex(p, "/")+1:] }

// describeMachine reads what it can; a missing piece is left empty.
func describeMachine(ctx context.Context, load string) Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), LoadStart: load}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.LoadEnd = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		m.MemoryGB = int(math.Round(float64(si.Totalram) * float64(si.Unit) / (1 << 30)))
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		m.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	m.BuildKit = field(output(ctx, "buildctl", "--version"), 2)
	m.Docker = strings.TrimSpace(output(ctx, "docker", "version", "--format", "{{.Server.Version}}"))
	m.Entr = strings.TrimSpace(output(ctx, "dpkg-query", "-W", "-f", "${Version}", "entr"))
	return m
}

// output runs a command and returns its stdout, or "" if it fails.
func output(ctx context.Context, name string, args ...string) string {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout = &out
	if cmd.Run() != nil {
		return ""
	}
	return out.String()
}

// field returns the n-th whitespace-separated field of s (0-based).
func field(s string, n int) string {
	f := strings.Fields(s)
	if n < len(f) {
		return f[n]
	}
	return ""
}
