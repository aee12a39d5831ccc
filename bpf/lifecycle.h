/* The syscall-exit dispatcher, connection lifecycle and process exit. */
#define VIGIL_EINPROGRESS 115

static __always_inline int vigil_open(__s32 fd, __u8 role)
{
	__u64 pid_tgid;
	struct vigil_config *cfg = vigil_current(&pid_tgid);
	if (cfg)
		vigil_conn_open(cfg, pid_tgid, fd, 0, 0, role);
	return 0;
}

/* vigil_mmsg_done handles the end of a sendmmsg or recvmmsg on fd that
 * moved n messages of the array at vec: each entry's msg_len now says its
 * bytes, and each becomes a data event. The first two only (glibc's
 * resolver sends A and AAAA together): each copy is inlined, and more make
 * the program too complex for the verifier. */
#define VIGIL_MAX_MMSG_DONE 2
static __always_inline int vigil_mmsg_done(__s32 fd, __u64 vec, long n, __u8 dir, __u64 g)
{
	for (int i = 0; i < VIGIL_MAX_MMSG_DONE; i++) {
		if (i >= n)
			break;
		__u64 e = vec + i * sizeof(struct vigil_mmsghdr);
		__u32 len;
		if (bpf_probe_read_user(&len, sizeof(len), (void *)(e + __builtin_offsetof(struct vigil_mmsghdr, msg_len))))
			return 0;
		vigil_data(fd, e, 0, len, VIGIL_ARG_MSG, dir, g);
	}
	return 0;
}

/* One raw tracepoint for every syscall's exit: no trace record is built and
 * no state is kept from the entry; syscalls vigil does not follow leave at
 * the first comparison. */
SEC("tp_btf/sys_exit")
int BPF_PROG(vigil_sys_exit, struct pt_regs *regs, long ret)
{
	switch (VIGIL_SYSCALL_NR(regs)) {
	case VIGIL_NR_READ:
		return vigil_data(VIGIL_ARG0(regs), VIGIL_ARG1(regs), 0, ret, VIGIL_ARG_BUF, VIGIL_INGRESS, VIGIL_GOG(regs));
	case VIGIL_NR_WRITE:
		return vigil_data(VIGIL_ARG0(regs), VIGIL_ARG1(regs), 0, ret, VIGIL_ARG_BUF, VIGIL_EGRESS, VIGIL_GOG(regs));
	case VIGIL_NR_READV:
		return vigil_data(VIGIL_ARG0(regs), VIGIL_ARG1(regs), VIGIL_ARG2(regs), ret, VIGIL_ARG_IOV, VIGIL_INGRESS, VIGIL_GOG(regs));
	case VIGIL_NR_WRITEV:
		return vigil_data(VIGIL_ARG0(regs), VIGIL_ARG1(regs), VIGIL_ARG2(regs), ret, VIGIL_ARG_IOV, VIGIL_EGRESS, VIGIL_GOG(regs));
	case VIGIL_NR_SENDTO:
		return vigil_data(VIGIL_ARG0(regs), VIGIL_ARG1(regs), 0, ret, VIGIL_ARG_BUF, VIGIL_EGRESS, VIGIL_GOG(regs));
	case VIGIL_NR_RECVFROM:
		if (VIGIL_ARG3(regs) & VIGIL_MSG_PEEK) /* moves no bytes out of the stream */
			return 0;
		return vigil_data(VIGIL_ARG0(regs), VIGIL_ARG1(regs), 0, ret, VIGIL_ARG_BUF, VIGIL_INGRESS, VIGIL_GOG(regs));
	case VIGIL_NR_SENDMSG:
		return vigil_data(VIGIL_ARG0(regs), VIGIL_ARG1(regs), 0, ret, VIGIL_ARG_MSG, VIGIL_EGRESS, VIGIL_GOG(regs));
	case VIGIL_NR_RECVMSG:
		if (VIGIL_ARG2(regs) & VIGIL_MSG_PEEK)
			return 0;
		return vigil_data(VIGIL_ARG0(regs), VIGIL_ARG1(regs), 0, ret, VIGIL_ARG_MSG, VIGIL_INGRESS, VIGIL_GOG(regs));
	case VIGIL_NR_SENDFILE:
		return vigil_data(VIGIL_ARG0(regs), 0, 0, ret, VIGIL_ARG_NOCAP, VIGIL_EGRESS, VIGIL_GOG(regs));
	case VIGIL_NR_SENDMMSG:
		return vigil_mmsg_done(VIGIL_ARG0(regs), VIGIL_ARG1(regs), ret, VIGIL_EGRESS, VIGIL_GOG(regs));
	case VIGIL_NR_RECVMMSG:
		return vigil_mmsg_done(VIGIL_ARG0(regs), VIGIL_ARG1(regs), ret, VIGIL_INGRESS, VIGIL_GOG(regs));
	case VIGIL_NR_CONNECT:
		if (ret != 0 && ret != -VIGIL_EINPROGRESS)
			return 0;
		return vigil_open(VIGIL_ARG0(regs), VIGIL_ROLE_CLIENT);
	case VIGIL_NR_ACCEPT:
	case VIGIL_NR_ACCEPT4:
		if (ret < 0)
			return 0;
		return vigil_open(ret, VIGIL_ROLE_SERVER);
	}
	return 0;
}

/* close is followed at its entry: once the descriptor is released another
 * thread may get the same number, so its exit would be too late. */
SEC("tracepoint/syscalls/sys_enter_close")
int vigil_enter_close(struct vigil_sys_enter *ctx)
{
	__u64 pid_tgid;
	struct vigil_config *cfg = vigil_current(&pid_tgid);
	if (!cfg)
		return 0;
	vigil_conn_close(cfg, pid_tgid, (__s32)ctx->args[0]);
	return 0;
}

/* vigil_process_event tells user space of a traced process's exit or exec. */
static __always_inline int vigil_process_event(__u8 type)
{
	__u64 pid_tgid;
	struct vigil_config *cfg = vigil_current(&pid_tgid);
	__u32 tgid = pid_tgid >> 32;
	if (!cfg || (__u32)pid_tgid != tgid) /* threads other than the leader */
		return 0;
	struct vigil_conn_event ev;
	__builtin_memset(&ev, 0, sizeof(ev));
	ev.type = type;
	ev.tgid = tgid;
	ev.tid = tgid;
	ev.ts = bpf_ktime_get_ns();
	if (type == VIGIL_EV_EXEC) /* names a process gone before user space reads it */
		bpf_get_current_comm(ev.laddr, sizeof(ev.laddr));
	if (bpf_ringbuf_output(&vigil_events, &ev, sizeof(ev), BPF_RB_FORCE_WAKEUP))
		vigil_count(VIGIL_STAT_CTRL_DROPS, 1);
	return 0;
}

/* A traced process exiting closes its descriptors without close(2): tell
 * user space so it ends that process's connections. */
SEC("tracepoint/sched/sched_process_exit")
int vigil_process_exit(void *ctx)
{
	return vigil_process_event(VIGIL_EV_EXIT);
}

/* After an exec the process runs another program with other libraries:
 * user space rereads its facts and looks for TLS libraries to probe. */
SEC("tracepoint/sched/sched_process_exec")
int vigil_process_exec(void *ctx)
{
	return vigil_process_event(VIGIL_EV_EXEC);
}
