//go:build linux

package supervisor

import "testing"

// BenchmarkScan measures one /proc scan, which a restart does a few times.
func BenchmarkScan(b *testing.B) {
	g := newGeneration()
	for i := 0; i < b.N; i++ {
		g.scan(false)
	}
}

// BenchmarkScanTree measures the quick scan of a subreaper.
func BenchmarkScanTree(b *testing.B) {
	g := newGeneration()
	if !g.tree {
		b.Skip("no children lists")
	}
	for i := 0; i < b.N; i++ {
		g.scan(true)
	}
}
