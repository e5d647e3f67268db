//go:build race

package main

// raceEnabled: the race detector multiplies memory, so RSS targets do
// not apply to a race-instrumented server.
const raceEnabled = true
