// Package workflows holds vigil's Temporal workflow definitions, one file per
// workflow beside its test. Workflows are deterministic: no I/O, no wall
// clock, no goroutines; activities are called by the names and payload types
// of internal/contract.
package workflows
