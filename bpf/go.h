/* Go's crypto/tls: uprobes at the entry of (*Conn).Read and (*Conn).Write
 * and at each of their RET instructions (uretprobes rewrite the return
 * address on the stack, which Go's stack copying and unwinding do not
 * survive). Go's register ABI (1.17+): the receiver, b's pointer and length
 * in the first argument registers, n in the first result register. A call
 * is keyed by its goroutine (the g register), since a goroutine blocked in
 * Read resumes on any thread; the syscall tracepoint reads the same
 * register to bind the call to its socket. */

/* A handshake call binds the connection to its socket and moves no
 * plaintext: Go's HTTP server shakes hands before its first Read, and that
 * Read may be answered from what the handshake read. */
#define VIGIL_TLS_BIND 2

static __always_inline int vigil_go_enter(struct pt_regs *ctx, __u8 dir)
{
	__u64 pid_tgid;
	struct vigil_config *cfg = vigil_current(&pid_tgid);
	if (!cfg)
		return 0;
	struct vigil_tls_call call;
	__builtin_memset(&call, 0, sizeof(call));
	call.ssl = VIGIL_GOARG0(ctx);
	call.buf = VIGIL_GOARG1(ctx);
	call.start = bpf_ktime_get_ns();
	call.fd = -1;
	call.dir = dir;
	struct vigil_go_key k = vigil_go_key_of(pid_tgid, VIGIL_GOG(ctx));
	struct vigil_tls_call *prev = bpf_map_lookup_elem(&vigil_go_calls, &k);
	if (prev && prev->ssl == call.ssl && prev->buf == call.buf && prev->dir == dir)
		return 0; /* the call restarted after growing its stack */
	if (dir == VIGIL_EGRESS) {
		/* Written plaintext goes out before its ciphertext: at the return
		 * it could come after the peer's answer, which another goroutine
		 * reads. Go's Write writes all of b or fails. */
		call.early = 1;
		call.len = VIGIL_GOARG2(ctx);
		call.done = vigil_tls_emit(&call, pid_tgid, call.len, false);
	}
	/* Read and Write shake hands first when needed: that inner handshake
	 * leaves their record alone. */
	bpf_map_update_elem(&vigil_go_calls, &k, &call, dir == VIGIL_TLS_BIND ? BPF_NOEXIST : BPF_ANY);
	return 0;
}

SEC("uprobe/go_tls_read")
int vigil_go_tls_read(struct pt_regs *ctx)
{
	return vigil_go_enter(ctx, VIGIL_INGRESS);
}

SEC("uprobe/go_tls_write")
int vigil_go_tls_write(struct pt_regs *ctx)
{
	return vigil_go_enter(ctx, VIGIL_EGRESS);
}

SEC("uprobe/go_tls_handshake")
int vigil_go_tls_handshake(struct pt_regs *ctx)
{
	return vigil_go_enter(ctx, VIGIL_TLS_BIND);
}

/* At a RET of handshakeContext: forget the handshake's own record. */
SEC("uprobe/go_tls_handshake_ret")
int vigil_go_tls_handshake_return(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct vigil_go_key k = vigil_go_key_of(pid_tgid, VIGIL_GOG(ctx));
	struct vigil_tls_call *tc = bpf_map_lookup_elem(&vigil_go_calls, &k);
	if (tc && tc->dir == VIGIL_TLS_BIND)
		bpf_map_delete_elem(&vigil_go_calls, &k);
	return 0;
}

/* At a RET of Read or Write: n is the first result. */
SEC("uprobe/go_tls_ret")
int vigil_go_tls_return(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct vigil_go_key k = vigil_go_key_of(pid_tgid, VIGIL_GOG(ctx));
	struct vigil_tls_call *tc = bpf_map_lookup_elem(&vigil_go_calls, &k);
	if (!tc)
		return 0;
	struct vigil_tls_call call = *tc;
	if (call.dir == VIGIL_TLS_BIND)
		return 0; /* in a handshake Read called: not ours */
	bpf_map_delete_elem(&vigil_go_calls, &k);
	if (call.early)
		return 0; /* sent when its socket was known, or failed before */
	vigil_tls_emit(&call, pid_tgid, (__s64)VIGIL_GOARG0(ctx), true);
	return 0;
}
