/* Connection lifecycle: connect, accept, close, process exit. */
#define VIGIL_EINPROGRESS 115

static __always_inline int vigil_save_fd(struct vigil_sys_enter *ctx, __u8 kind)
{
	struct vigil_config *cfg = vigil_cfg();
	if (!cfg)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!vigil_traced(cfg, pid_tgid >> 32))
		return 0;
	struct vigil_args a = {
		.ts = bpf_ktime_get_ns(),
		.fd = (__s32)ctx->args[0],
		.kind = kind,
		.nr = (__s32)ctx->nr,
	};
	if (bpf_map_update_elem(&vigil_pending, &pid_tgid, &a, BPF_ANY))
		vigil_count(VIGIL_STAT_ARGS_FULL, 1);
	return 0;
}

/* vigil_take_args returns the saved entry of this very syscall. */
static __always_inline bool vigil_take_args(struct vigil_sys_exit *ctx, __u64 pid_tgid, __u8 kind,
					    struct vigil_args *out)
{
	struct vigil_args *ap = bpf_map_lookup_elem(&vigil_pending, &pid_tgid);
	if (!ap)
		return false;
	*out = *ap;
	bpf_map_delete_elem(&vigil_pending, &pid_tgid);
	return out->kind == kind && out->nr == (__s32)ctx->nr;
}

SEC("tracepoint/syscalls/sys_enter_connect")
int vigil_enter_connect(struct vigil_sys_enter *ctx)
{
	return vigil_save_fd(ctx, VIGIL_ARG_CONNECT);
}

SEC("tracepoint/syscalls/sys_exit_connect")
int vigil_exit_connect(struct vigil_sys_exit *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct vigil_args a;
	if (!vigil_take_args(ctx, pid_tgid, VIGIL_ARG_CONNECT, &a))
		return 0;
	if (ctx->ret != 0 && ctx->ret != -VIGIL_EINPROGRESS)
		return 0;
	struct vigil_config *cfg = vigil_cfg();
	if (cfg)
		vigil_conn_open(cfg, pid_tgid, a.fd, VIGIL_ROLE_CLIENT);
	return 0;
}

static __always_inline int vigil_accept_exit(struct vigil_sys_exit *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	struct vigil_args a;
	if (!vigil_take_args(ctx, pid_tgid, VIGIL_ARG_ACCEPT, &a) || ctx->ret < 0)
		return 0;
	struct vigil_config *cfg = vigil_cfg();
	if (cfg)
		vigil_conn_open(cfg, pid_tgid, (__s32)ctx->ret, VIGIL_ROLE_SERVER);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_accept")
int vigil_enter_accept(struct vigil_sys_enter *ctx)
{
	return vigil_save_fd(ctx, VIGIL_ARG_ACCEPT);
}

SEC("tracepoint/syscalls/sys_exit_accept")
int vigil_exit_accept(struct vigil_sys_exit *ctx)
{
	return vigil_accept_exit(ctx);
}

SEC("tracepoint/syscalls/sys_enter_accept4")
int vigil_enter_accept4(struct vigil_sys_enter *ctx)
{
	return vigil_save_fd(ctx, VIGIL_ARG_ACCEPT);
}

SEC("tracepoint/syscalls/sys_exit_accept4")
int vigil_exit_accept4(struct vigil_sys_exit *ctx)
{
	return vigil_accept_exit(ctx);
}

SEC("tracepoint/syscalls/sys_enter_close")
int vigil_enter_close(struct vigil_sys_enter *ctx)
{
	struct vigil_config *cfg = vigil_cfg();
	if (!cfg)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!vigil_traced(cfg, pid_tgid >> 32))
		return 0;
	vigil_conn_close(cfg, pid_tgid, (__s32)ctx->args[0]);
	return 0;
}

/* A traced process exiting closes its descriptors without close(2): tell
 * user space so it ends that process's connections. */
SEC("tracepoint/sched/sched_process_exit")
int vigil_process_exit(void *ctx)
{
	struct vigil_config *cfg = vigil_cfg();
	if (!cfg)
		return 0;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tgid = pid_tgid >> 32;
	if ((__u32)pid_tgid != tgid || !vigil_traced(cfg, tgid))
		return 0;
	struct vigil_conn_event ev;
	__builtin_memset(&ev, 0, sizeof(ev));
	ev.type = VIGIL_EV_EXIT;
	ev.tgid = tgid;
	ev.tid = tgid;
	ev.ts = bpf_ktime_get_ns();
	if (bpf_ringbuf_output(&vigil_events, &ev, sizeof(ev), BPF_RB_FORCE_WAKEUP))
		vigil_count(VIGIL_STAT_CTRL_DROPS, 1);
	return 0;
}
