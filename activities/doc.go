// Package activities holds vigil's Temporal activities as methods on structs
// that hold their dependencies (checker, store, git, Temporal client). They
// are registered under the names of internal/contract.
package activities
