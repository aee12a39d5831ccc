// Package agent will hold the node agent: it loads the eBPF programs of bpf/,
// reads their ring buffer, reassembles each connection's byte streams, parses
// the protocols into spans, and exports them to the store through a bounded
// on-disk spool. It ships as `vigil agent` and as the lean cmd/vigil-agent,
// which must never link the Temporal server.
package agent
