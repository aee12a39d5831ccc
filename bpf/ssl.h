/* OpenSSL: uprobes at the entry of SSL_read, SSL_write and their _ex
 * variants, one uretprobe for all four. The return copies the plaintext
 * into a data event of the socket the call used, flagged VIGIL_DATA_TLS,
 * with the connection's plaintext offsets. */

static __always_inline int vigil_ssl_enter(struct pt_regs *ctx, __u8 dir, __u64 lenp)
{
	__u64 pid_tgid;
	struct vigil_config *cfg = vigil_current(&pid_tgid);
	if (!cfg)
		return 0;
	struct vigil_tls_call call;
	__builtin_memset(&call, 0, sizeof(call));
	call.ssl = VIGIL_UARG0(ctx);
	call.buf = VIGIL_UARG1(ctx);
	call.lenp = lenp;
	call.start = bpf_ktime_get_ns();
	call.fd = -1;
	call.dir = dir;
	bpf_map_update_elem(&vigil_tls_calls, &pid_tgid, &call, BPF_ANY);
	return 0;
}

SEC("uprobe/SSL_read")
int vigil_ssl_read(struct pt_regs *ctx)
{
	return vigil_ssl_enter(ctx, VIGIL_INGRESS, 0);
}

SEC("uprobe/SSL_read_ex")
int vigil_ssl_read_ex(struct pt_regs *ctx)
{
	return vigil_ssl_enter(ctx, VIGIL_INGRESS, VIGIL_UARG3(ctx));
}

SEC("uprobe/SSL_write")
int vigil_ssl_write(struct pt_regs *ctx)
{
	return vigil_ssl_enter(ctx, VIGIL_EGRESS, 0);
}

SEC("uprobe/SSL_write_ex")
int vigil_ssl_write_ex(struct pt_regs *ctx)
{
	return vigil_ssl_enter(ctx, VIGIL_EGRESS, VIGIL_UARG3(ctx));
}

/* vigil_ssl_return: SSL_read and SSL_write return the byte count; the _ex
 * variants return 1 and store the count through their fourth argument. */
SEC("uretprobe/SSL_rw")
int vigil_ssl_return(struct pt_regs *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct vigil_tls_call *tc = bpf_map_lookup_elem(&vigil_tls_calls, &pid_tgid);
	if (!tc)
		return 0;
	struct vigil_tls_call call = *tc;
	bpf_map_delete_elem(&vigil_tls_calls, &pid_tgid);
	__s64 n = (int)VIGIL_URET(ctx);
	if (call.lenp) {
		__u64 done = 0;
		if (n != 1 || bpf_probe_read_user(&done, sizeof(done), (void *)call.lenp))
			return 0;
		n = (__s64)done;
	}
	vigil_tls_emit(&call, pid_tgid, n, true);
	return 0;
}
