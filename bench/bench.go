// Package bench measures the restart frontend beside the tools its users
// would use instead, on one machine in one run: `make bench` (hack/bench)
// runs every figure through cmd/bench, prints a table and writes
// bench/results.json, and from it docs/benchmarks.md (bench page).
//
// Each measuring function returns [Figure]s: a value of ours, the value of
// the alternative measured the same way in the same run (samples alternate
// between the two), their ratio, and the target from issue 7 with whether it
// is met. Machines are noisy, so figures are medians and percentiles of many
// samples, and the ratio is what carries across machines. Targets are
// reported, never asserted: a missed target is a finding, not a failure.
//
// The figures:
//
//   - [Restart]: trigger write to the new process's first line of output,
//     supervisor vs entr -rz, on the host; and the same after a sync of 10
//     files into a watched directory.
//   - [Sockets]: requests refused while a server restarts 100 times under a
//     request loop, with --listen, without, and with entr -rz; and the time
//     restart --wait takes to return beside the restart latency.
//   - [Stop]: docker stop of a wrapped image vs the same image built with
//     RESTART_PROCESS=off, and the exit codes of both.
//   - [Builds]: warm rebuild and cold build through our frontend vs the
//     upstream dockerfile frontend and vs restart_process's two-image flow.
//   - [Size] and [Idle]: bytes added per platform; resident memory and CPU
//     time of an idle supervisor.
//   - [LiveUpdate]: tar sync through docker exec plus the trigger, to the new
//     output in docker logs, vs docker restart of the same container.
//   - [LiveUpdateNoShell]: the same for images with no shell and no tar
//     (FROM scratch, distroless) built with RESTART_TOOLS=on: the
//     frontend's tar, then `/.restart/supervisor restart` in list form.
//   - [Kubernetes]: the same live update through the API server's pods/exec
//     on the rig's cluster, vs kubectl delete pod and vs restart_process's
//     two-image rebuild and roll-out.
package bench

import (
	"math"
	"sort"
	"time"
)

// Figure is one row of the results.
type Figure struct {
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	Samples int     `json:"samples"`
	// Comparison names what Value is set beside; empty when nothing is.
	Comparison      string   `json:"comparison"`
	ComparisonValue *float64 `json:"comparison_value"`
	// Ratio is Value / ComparisonValue.
	Ratio *float64 `json:"ratio"`
	// Target is issue 7's target in words; empty when the figure has none.
	Target string `json:"target"`
	Met    *bool  `json:"met"`
	// Note says how the figure was taken, or what went wrong.
	Note string `json:"note,omitempty"`
}

// compare sets the comparison and the ratio.
func (f Figure) compare(name string, v float64) Figure {
	f.Comparison = name
	f.ComparisonValue = &v
	if v != 0 {
		r := f.Value / v
		f.Ratio = &r
	}
	return f
}

// target sets the target and whether it is met.
func (f Figure) target(text string, met bool) Figure {
	f.Target = text
	f.Met = &met
	return f
}

// ratio returns the figure's ratio, or +Inf without one (so that a target
// on the ratio is not met).
func (f Figure) ratio() float64 {
	if f.Ratio == nil {
		return math.Inf(1)
	}
	return *f.Ratio
}

// percentile returns the p-th percentile (0 ≤ p ≤ 100) of xs, interpolating
// linearly between the two nearest samples; NaN for no samples.
func percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	pos := p / 100 * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

func median(xs []float64) float64 { return percentile(xs, 50) }

// ms converts a duration to float milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
