// Package bpf holds vigil's eBPF programs and their bpf2go-generated loader.
//
// capture.c observes socket I/O one of two ways, chosen at load time
// (agent.CaptureOptions.Hooks):
//   - socket-layer hooks (sock.h, kernel 6.3+, the default where present):
//     tp_btf programs on sock_send_length and sock_recv_length, which fire
//     inside sock_sendmsg/sock_recvmsg for socket I/O only; the syscall and
//     its buffer come from the task's saved registers. inet_sock_set_state
//     gives the TCP handshake's role and the socket's end. No syscall
//     tracepoint is attached, so other syscalls and processes pay nothing.
//   - syscall hooks (lifecycle.h): the syscall-exit raw tracepoint
//     (tp_btf/sys_exit: read, write, readv, writev, sendto, recvfrom,
//     sendmsg, recvmsg, sendfile, connect, accept, accept4) and the close
//     entry tracepoint.
//
// For socket descriptors of the chosen processes only, they emit
// connection open/close events and data events with the first bytes of
// each buffer into one ring buffer. sched_process_exit and
// sched_process_exec tell user space of exits and of programs whose TLS
// libraries to look for. TLS plaintext comes from uprobes: OpenSSL's
// SSL_read/SSL_write(_ex) entries and returns (ssl.h), Go's crypto/tls
// (*Conn).Read/Write/handshakeContext entries and RET instructions (go.h);
// the socket I/O made inside a call binds it to its connection (tls.h).
// The generated capture_{x86,arm64}_bpfel.go and .o are committed so
// building needs no clang; `go generate ./bpf` rebuilds them with clang-14
// and libbpf's headers. arm64 is built but has only been run through the
// compiler, not loaded.
package bpf
