/* OpenSSL: uprobes at the entry of SSL_read, SSL_write and their _ex
 * variants, one uretprobe for all four. The return copies the plaintext
 * into a data event of the socket the call used, flagged VIGIL_DATA_TLS,
 * with the connection's plaintext offsets. */

static __always_inline int vigil_ssl_enter(struct pt_regs *ctx, __u8 dir, __u64 lenp)
{
	struct vigil_config *cfg = vigil_cfg();
	if (!cfg)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!vigil_traced(cfg, pid_tgid >> 32))
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

/* vigil_tls_emit sends the n plaintext bytes a finished TLS call moved as
 * a data event of its socket: the one seen inside the call, else the one
 * last seen for the same library connection object. */
static __always_inline int vigil_tls_emit(struct vigil_tls_call *call, __u64 pid_tgid, __s64 n)
{
	if (n <= 0)
		return 0;
	struct vigil_config *cfg = vigil_cfg();
	if (!cfg)
		return 0;
	__s32 fd = call->fd;
	if (fd < 0) {
		struct vigil_tls_key k;
		__builtin_memset(&k, 0, sizeof(k));
		k.ssl = call->ssl;
		k.tgid = pid_tgid >> 32;
		__s32 *known = bpf_map_lookup_elem(&vigil_tls_fds, &k);
		if (!known) {
			vigil_count(VIGIL_STAT_TLS_NO_FD, 1);
			return 0;
		}
		fd = *known;
	}
	struct vigil_conn *c = vigil_conn_get(cfg, pid_tgid, fd);
	if (!c)
		return 0;
	c->tls = 1;
	__u8 dir = call->dir & 1;
	__u64 off = __sync_fetch_and_add(&c->tls_off[dir], (__u64)n);
	__u64 conn_id = c->id;

	__u32 cpu = bpf_get_smp_processor_id();
	struct vigil_scratch *s = bpf_map_lookup_elem(&vigil_scratchpad, &cpu);
	if (!s)
		return 0;
	__u32 want = cfg->capture;
	if ((__u64)n < want)
		want = (__u32)n;
	__u32 cap = vigil_copy_buf(s, call->buf, want);
	vigil_count(VIGIL_STAT_TLS_BYTES, n);
	if (vigil_output(cfg, s, pid_tgid, fd, conn_id, off, call->start, bpf_ktime_get_ns(), n, cap, dir, VIGIL_DATA_TLS))
		vigil_count(VIGIL_STAT_TLS_EVENTS, 1);
	return 0;
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
	return vigil_tls_emit(&call, pid_tgid, n);
}
