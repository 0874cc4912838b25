package testfs

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// recorder is a testing.TB that records Fatal instead of ending the test.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()           {}
func (r *recorder) Fatal(args ...any) { r.failed = true }

func TestEachFailsTheTestOnError(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing", "f")
	for _, c := range []struct {
		name string
		call func(testing.TB)
	}{
		{"WriteFile", func(tb testing.TB) { WriteFile(tb, missing, nil, 0o644) }},
		{"MkdirAll", func(tb testing.TB) { MkdirAll(tb, filepath.Join(dir, "file", "sub"), 0o755) }},
		{"Mkdir", func(tb testing.TB) { Mkdir(tb, missing, 0o755) }},
		{"Chmod", func(tb testing.TB) { Chmod(tb, missing, 0o644) }},
		{"Remove", func(tb testing.TB) { Remove(tb, missing) }},
		{"Rename", func(tb testing.TB) { Rename(tb, missing, filepath.Join(dir, "g")) }},
		{"Truncate", func(tb testing.TB) { Truncate(tb, missing, 0) }},
		{"Chtimes", func(tb testing.TB) { Chtimes(tb, missing, time.Now(), time.Now()) }},
	} {
		t.Run(c.name, func(t *testing.T) {
			if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			r := &recorder{TB: t}
			c.call(r)
			if !r.failed {
				t.Errorf("%s did not fail the test on an error", c.name)
			}
		})
	}
}

func TestEachDoesItsJob(t *testing.T) {
	dir := t.TempDir()
	MkdirAll(t, filepath.Join(dir, "a", "b"), 0o755)
	Mkdir(t, filepath.Join(dir, "c"), 0o755)
	f := filepath.Join(dir, "a", "b", "f")
	WriteFile(t, f, []byte("x"), 0o600)
	Chmod(t, f, 0o640)
	Truncate(t, f, 0)
	when := time.Unix(1e9, 0)
	Chtimes(t, f, when, when)
	if fi, err := os.Stat(f); err != nil || fi.Mode().Perm() != 0o640 || fi.Size() != 0 || !fi.ModTime().Equal(when) {
		t.Fatalf("after Chmod, Truncate, Chtimes: %v, %v", fi, err)
	}
	g := filepath.Join(dir, "c", "g")
	Rename(t, f, g)
	Remove(t, g)
	if _, err := os.Stat(g); !os.IsNotExist(err) {
		t.Fatalf("%s is still there: %v", g, err)
	}
}
