// Package bpf holds vigil's eBPF programs and their bpf2go-generated loader.
//
// capture.c attaches to syscall tracepoints (read, write, readv, writev,
// sendto, recvfrom, sendmsg, recvmsg, sendfile64 and connect, accept, accept4,
// close, plus sched_process_exit) and emits, for socket descriptors of the
// chosen processes only, connection open/close events and data events with
// the first bytes of each buffer into one ring buffer. The generated
// capture_bpfel.go and capture_bpfel.o are committed so building needs no
// clang; `go generate ./bpf` rebuilds them with clang-14 and libbpf's headers.
package bpf
