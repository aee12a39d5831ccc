/* Data syscalls: the entry saves the arguments, the exit copies the first
 * bytes actually moved into the ring buffer. */
#define VIGIL_MSG_PEEK 2

static __always_inline int vigil_data_enter(struct vigil_sys_enter *ctx, __u64 ptr, __u64 cnt,
					    __u8 kind, __u8 dir)
{
	struct vigil_config *cfg = vigil_cfg();
	if (!cfg)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!vigil_traced(cfg, pid_tgid >> 32))
		return 0;
	__s32 fd = (__s32)ctx->args[0];
	__u64 key = vigil_key(pid_tgid >> 32, fd);
	if (!bpf_map_lookup_elem(&vigil_conns, &key) && bpf_map_lookup_elem(&vigil_skip, &key))
		return 0;
	struct vigil_args a = {
		.ptr = ptr,
		.cnt = cnt,
		.ts = bpf_ktime_get_ns(),
		.fd = fd,
		.kind = kind,
		.dir = dir,
		.nr = (__s32)ctx->nr,
	};
	if (bpf_map_update_elem(&vigil_pending, &pid_tgid, &a, BPF_ANY))
		vigil_count(VIGIL_STAT_ARGS_FULL, 1);
	return 0;
}

static __always_inline __u32 vigil_copy_buf(struct vigil_scratch *s, __u64 ptr, __u32 want)
{
	if (want > VIGIL_MAX_CAPTURE)
		want = VIGIL_MAX_CAPTURE;
	if (bpf_probe_read_user(s->data, want, (void *)ptr))
		return 0;
	return want;
}

/* vigil_copy_iov walks an iovec array: the bytes moved fill the buffers in
 * order, so the first `want` bytes are the heads of the first buffers. */
static __always_inline __u32 vigil_copy_iov(struct vigil_scratch *s, __u64 iovp, __u64 cnt, __u32 want)
{
	__u32 off = 0;
	for (int i = 0; i < VIGIL_MAX_IOV; i++) {
		if (i >= cnt || off >= want || off >= VIGIL_MAX_CAPTURE)
			break;
		struct vigil_iovec iov;
		if (bpf_probe_read_user(&iov, sizeof(iov), (void *)(iovp + i * sizeof(iov))))
			break;
		__u64 n = iov.iov_len;
		if (n > want - off)
			n = want - off;
		if (n > VIGIL_MAX_CAPTURE)
			n = VIGIL_MAX_CAPTURE;
		if (bpf_probe_read_user(&s->data[off & (VIGIL_MAX_CAPTURE - 1)], n, iov.iov_base))
			break;
		off += n;
	}
	return off;
}

static __always_inline __u32 vigil_copy(struct vigil_scratch *s, struct vigil_args *a, __u32 want)
{
	switch (a->kind) {
	case VIGIL_ARG_BUF:
		return vigil_copy_buf(s, a->ptr, want);
	case VIGIL_ARG_IOV:
		return vigil_copy_iov(s, a->ptr, a->cnt, want);
	case VIGIL_ARG_MSG: {
		struct vigil_user_msghdr msg;
		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)a->ptr))
			return 0;
		return vigil_copy_iov(s, (__u64)msg.msg_iov, msg.msg_iovlen, want);
	}
	}
	return 0;
}

static __always_inline int vigil_data_exit(struct vigil_sys_exit *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct vigil_args *ap = bpf_map_lookup_elem(&vigil_pending, &pid_tgid);
	if (!ap)
		return 0;
	struct vigil_args a = *ap;
	bpf_map_delete_elem(&vigil_pending, &pid_tgid);
	__s64 ret = ctx->ret;
	if (ret <= 0 || a.nr != (__s32)ctx->nr || a.kind > VIGIL_ARG_NOCAP)
		return 0;
	struct vigil_config *cfg = vigil_cfg();
	if (!cfg)
		return 0;
	struct vigil_conn *c = vigil_conn_get(cfg, pid_tgid, a.fd);
	if (!c)
		return 0;
	__u64 off = __sync_fetch_and_add(&c->off[a.dir & 1], (__u64)ret);
	__u64 conn_id = c->id;

	__u32 cpu = bpf_get_smp_processor_id();
	struct vigil_scratch *s = bpf_map_lookup_elem(&vigil_scratchpad, &cpu);
	if (!s)
		return 0;
	__u32 want = cfg->capture;
	if ((__u64)ret < want)
		want = (__u32)ret;
	__u32 cap = vigil_copy(s, &a, want);
	if (cap > VIGIL_MAX_CAPTURE)
		cap = VIGIL_MAX_CAPTURE;

	s->ev.type = VIGIL_EV_DATA;
	s->ev.dir = a.dir;
	s->ev.tgid = pid_tgid >> 32;
	s->ev.tid = (__u32)pid_tgid;
	s->ev.fd = a.fd;
	s->ev.conn_id = conn_id;
	s->ev.off = off;
	s->ev.start = a.ts;
	s->ev.end = bpf_ktime_get_ns();
	s->ev.len = ret > 0xffffffff ? 0xffffffff : (__u32)ret;
	s->ev.cap = cap;
	if (bpf_ringbuf_output(&vigil_events, s, sizeof(s->ev) + cap, vigil_wakeup_flags(cfg))) {
		vigil_count(VIGIL_STAT_DATA_DROPS, 1);
		vigil_count(VIGIL_STAT_DROPPED_BYTES, ret);
		return 0;
	}
	vigil_count(VIGIL_STAT_DATA_EVENTS, 1);
	return 0;
}

#define VIGIL_DATA_PROGS(name, ptr_arg, cnt_arg, kind, dir)                         \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                  \
	int vigil_enter_##name(struct vigil_sys_enter *ctx)                          \
	{                                                                            \
		return vigil_data_enter(ctx, ctx->args[ptr_arg], ctx->args[cnt_arg], \
					kind, dir);                                  \
	}                                                                            \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                   \
	int vigil_exit_##name(struct vigil_sys_exit *ctx)                            \
	{                                                                            \
		return vigil_data_exit(ctx);                                         \
	}

VIGIL_DATA_PROGS(read, 1, 2, VIGIL_ARG_BUF, VIGIL_INGRESS)
VIGIL_DATA_PROGS(write, 1, 2, VIGIL_ARG_BUF, VIGIL_EGRESS)
VIGIL_DATA_PROGS(readv, 1, 2, VIGIL_ARG_IOV, VIGIL_INGRESS)
VIGIL_DATA_PROGS(writev, 1, 2, VIGIL_ARG_IOV, VIGIL_EGRESS)
VIGIL_DATA_PROGS(sendto, 1, 2, VIGIL_ARG_BUF, VIGIL_EGRESS)
VIGIL_DATA_PROGS(sendmsg, 1, 1, VIGIL_ARG_MSG, VIGIL_EGRESS)
VIGIL_DATA_PROGS(sendfile64, 0, 0, VIGIL_ARG_NOCAP, VIGIL_EGRESS)

/* recvfrom and recvmsg with MSG_PEEK move no bytes out of the stream. */
SEC("tracepoint/syscalls/sys_enter_recvfrom")
int vigil_enter_recvfrom(struct vigil_sys_enter *ctx)
{
	if (ctx->args[3] & VIGIL_MSG_PEEK)
		return 0;
	return vigil_data_enter(ctx, ctx->args[1], ctx->args[2], VIGIL_ARG_BUF, VIGIL_INGRESS);
}

SEC("tracepoint/syscalls/sys_exit_recvfrom")
int vigil_exit_recvfrom(struct vigil_sys_exit *ctx)
{
	return vigil_data_exit(ctx);
}

SEC("tracepoint/syscalls/sys_enter_recvmsg")
int vigil_enter_recvmsg(struct vigil_sys_enter *ctx)
{
	if (ctx->args[2] & VIGIL_MSG_PEEK)
		return 0;
	return vigil_data_enter(ctx, ctx->args[1], 1, VIGIL_ARG_MSG, VIGIL_INGRESS);
}

SEC("tracepoint/syscalls/sys_exit_recvmsg")
int vigil_exit_recvmsg(struct vigil_sys_exit *ctx)
{
	return vigil_data_exit(ctx);
}
