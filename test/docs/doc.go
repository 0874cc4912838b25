// Package docs holds the documentation's drift tests: the README's options
// table against pkg/options, docs/troubleshooting.md against the messages
// the frontend and the supervisor print, relative links against the files
// and headings they point to, and the make targets the docs name against
// the Makefile. They read files and parse Go source only, so they run under
// `go test -short` (make test-unit) with no rig.
package docs
