//go:build race

package redact

// raceEnabled skips allocation counts: sync.Pool drops items under -race.
const raceEnabled = true
