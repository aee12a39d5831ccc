// Package bpf holds vigil's eBPF programs and their bpf2go-generated loader.
//
// capture.c attaches one program to the syscall-exit raw tracepoint
// (tp_btf/sys_exit: read, write, readv, writev, sendto, recvfrom, sendmsg,
// recvmsg, sendfile, connect, accept, accept4, whose arguments are still in
// the saved registers), one to the close entry tracepoint and one to
// sched_process_exit. For socket descriptors of the chosen processes only, it
// emits connection open/close events and data events with the first bytes of
// each buffer into one ring buffer. sched_process_exec tells user space to
// look for TLS libraries again. TLS plaintext comes from uprobes: OpenSSL's
// SSL_read/SSL_write(_ex) entries and returns (ssl.h), Go's crypto/tls
// (*Conn).Read/Write/handshakeContext entries and RET instructions (go.h);
// the socket syscall made inside a call binds it to its connection (tls.h). The generated capture_{x86,arm64}_bpfel.go
// and .o are committed so building needs no clang; `go generate ./bpf`
// rebuilds them with clang-14 and libbpf's headers. arm64 is built but has
// only been run through the compiler, not loaded.
package bpf
