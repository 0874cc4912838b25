package bench

import (
	"math"
	"os"
	"strings"
	"testing"
)

func TestPercentile(t *testing.T) {
	xs := []float64{5, 1, 4, 2, 3}
	for _, c := range []struct {
		p, want float64
	}{{0, 1}, {50, 3}, {90, 4.6}, {100, 5}} {
		if got := percentile(xs, c.p); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("percentile(%v, %v) = %v, want %v", xs, c.p, got, c.want)
		}
	}
	if got := median([]float64{1, 2, 3, 10}); got != 2.5 {
		t.Errorf("median of an even count = %v, want 2.5", got)
	}
	if !math.IsNaN(percentile(nil, 50)) {
		t.Error("percentile of no samples is not NaN")
	}
	if xs[0] != 5 {
		t.Error("percentile sorted its input")
	}
}

func TestFigure(t *testing.T) {
	t.Run("a comparison sets the ratio", func(t *testing.T) {
		f := Figure{Value: 2}.compare("entr", 40)
		if f.Ratio == nil || *f.Ratio != 0.05 {
			t.Fatalf("ratio = %v, want 0.05", f.Ratio)
		}
	})
	t.Run("a zero comparison leaves no ratio, and a ratio target unmet", func(t *testing.T) {
		f := Figure{Value: 2}.compare("nothing", 0)
		if f.Ratio != nil || f.ratio() <= 1 {
			t.Fatalf("ratio = %v", f.Ratio)
		}
	})
}

func TestTable(t *testing.T) {
	f := Figure{Name: "restart latency p50", Value: 1.234, Unit: "ms", Samples: 60}.compare("entr -rz", 54.2)
	f = f.target("≤ 5 ms", false)
	out := Table(Results{Figures: []Figure{f}, Missed: []string{f.Name}})
	for _, want := range []string{"| restart latency p50 | 1.23 ms | entr -rz", "54 ms", "0.023×", "| 60 |", "**no**", "Targets missed: restart latency p50."} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestParseNoShellImage(t *testing.T) {
	im, err := parseNoShellImage("distroless/static:nonroot=restart-bench/static:run-distroless")
	if err != nil || im.Name != "distroless/static:nonroot" || im.Image != "restart-bench/static:run-distroless" {
		t.Errorf("got %+v, %v", im, err)
	}
	for _, bad := range []string{"scratch", "=image", "scratch="} {
		if _, err := parseNoShellImage(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func TestPage(t *testing.T) {
	dir := t.TempDir()
	out := dir + "/benchmarks.md"
	if err := WritePage("testdata/page/results.json", out); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{
		PageHeader,
		"Measured on 2026-11-25",
		"Machine: AMD EPYC, 2 cores, 24 GB, Linux 6.18.0; go1.26.8, BuildKit v0.34.2, Docker 20.10.24, entr 5.3.",
		"| restart latency p50 ", "| 3.20 ms ", "| entr -rz ", "| 54 ms ", "| 0.059× ", "| ≤ 5 ms and ≤ 0.10× ", "| yes ",
		"| Go floor ", "| 1.50 MiB ", "| 1.09× ", "| **no** ",
		"Targets missed: image size added, amd64, uncompressed.",
		"- **image size added, amd64, uncompressed**: the floor is a Go program",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
}

func TestWritePageRejectsOtherJSON(t *testing.T) {
	dir := t.TempDir()
	in := dir + "/results.json"
	if err := os.WriteFile(in, []byte(`[{"name": "a figure file, not the results"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	err := WritePage(in, dir+"/page.md")
	if err == nil || !strings.Contains(err.Error(), "not the results that `bench report` writes") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(dir + "/page.md"); !os.IsNotExist(err) {
		t.Errorf("a page was written: %v", err)
	}
}
