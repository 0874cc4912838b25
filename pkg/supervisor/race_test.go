//go:build race

package supervisor_test

// raceEnabled builds the supervisor under test with -race too.
const raceEnabled = true
