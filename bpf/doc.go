// Package bpf will hold the eBPF C sources (syscall tracepoints on read/write,
// sendmsg/recvmsg and friends, connect/accept/close), their headers, and the
// bpf2go-generated Go loaders, which are committed so building needs no clang.
package bpf
