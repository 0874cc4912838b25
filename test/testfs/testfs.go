// Package testfs makes a test's files and fails the test when it cannot:
// a setup step whose error is ignored can make a negative test pass
// without testing anything. Each function is its namesake of package os
// with the test first.
package testfs

import (
	"os"
	"testing"
	"time"
)

// WriteFile is os.WriteFile, failing t on error.
func WriteFile(t testing.TB, name string, data []byte, perm os.FileMode) {
	t.Helper()
	if err := os.WriteFile(name, data, perm); err != nil {
		t.Fatal(err)
	}
}

// MkdirAll is os.MkdirAll, failing t on error.
func MkdirAll(t testing.TB, path string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(path, perm); err != nil {
		t.Fatal(err)
	}
}

// Mkdir is os.Mkdir, failing t on error.
func Mkdir(t testing.TB, path string, perm os.FileMode) {
	t.Helper()
	if err := os.Mkdir(path, perm); err != nil {
		t.Fatal(err)
	}
}

// Chmod is os.Chmod, failing t on error.
func Chmod(t testing.TB, name string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(name, mode); err != nil {
		t.Fatal(err)
	}
}

// Remove is os.Remove, failing t on error: the file must be there.
func Remove(t testing.TB, name string) {
	t.Helper()
	if err := os.Remove(name); err != nil {
		t.Fatal(err)
	}
}

// Rename is os.Rename, failing t on error.
func Rename(t testing.TB, oldpath, newpath string) {
	t.Helper()
	if err := os.Rename(oldpath, newpath); err != nil {
		t.Fatal(err)
	}
}

// Truncate is os.Truncate, failing t on error.
func Truncate(t testing.TB, name string, size int64) {
	t.Helper()
	if err := os.Truncate(name, size); err != nil {
		t.Fatal(err)
	}
}

// Chtimes is os.Chtimes, failing t on error.
func Chtimes(t testing.TB, name string, atime, mtime time.Time) {
	t.Helper()
	if err := os.Chtimes(name, atime, mtime); err != nil {
		t.Fatal(err)
	}
}
