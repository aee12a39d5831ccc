/* Socket-layer hooks (kernel 6.3+): sock_send_length and sock_recv_length
 * fire inside sock_sendmsg/sock_recvmsg, for socket I/O only, whatever the
 * syscall (read, write, readv, writev, sendto, recvfrom, sendmsg, recvmsg).
 * The syscall and its buffer come from the task's saved user registers.
 * Unlike syscall tracepoints, nothing runs for other syscalls, and no
 * process is switched to the kernel's slow syscall path: untraced work
 * pays nothing but socket I/O's hash lookup. inet_sock_set_state gives the
 * TCP handshake's role and the socket's end, for which close(2) and
 * connect/accept were followed before. */
#define VIGIL_TCP_SYN_SENT 2
#define VIGIL_TCP_SYN_RECV 3
#define VIGIL_TCP_CLOSE 7
#define VIGIL_TCP_LAST_ACK 9

/* vigil_sock_gap advances the stream offset of the traced TCP connection
 * on sk by bytes moved where the registers do not name the descriptor and
 * buffer (io_uring, splice): user space then sees a gap, never two pieces
 * of a stream joined as if adjacent. */
static __always_inline int vigil_sock_gap(struct sock *sk, int ret, __u8 dir)
{
	__u64 p = (__u64)sk;
	struct vigil_sock_owner *o = bpf_map_lookup_elem(&vigil_socks, &p);
	if (!o)
		return 0;
	__u64 key = o->key;
	struct vigil_conn *c = bpf_map_lookup_elem(&vigil_conns, &key);
	if (c && c->cookie == o->cookie)
		__sync_fetch_and_add(&c->off[dir & 1], (__u64)ret);
	return 0;
}

/* vigil_mmsg_entry finds the message of a sendmmsg or recvmmsg the socket
 * layer is moving now, among the call's vlen entries at vec (glibc's
 * resolver sends its A and AAAA queries in one sendmmsg). The kernel writes
 * an entry's msg_len once the message has moved, so it is the first entry
 * whose msg_len is still 0. A send must also be exactly ret bytes from one
 * buffer (a datagram goes whole), so a msg_len the caller left non-zero
 * cannot make another message's bytes pass for it; a receive is taken only
 * when the call has one entry. 0: not known, the bytes are counted only. */
static __always_inline __u64 vigil_mmsg_entry(__u64 vec, __u64 vlen, __s64 ret, __u8 dir)
{
	if (dir == VIGIL_INGRESS)
		return vlen == 1 ? vec : 0;
	for (int i = 0; i < VIGIL_MAX_MMSG; i++) {
		if (i >= vlen)
			break;
		__u64 e = vec + i * sizeof(struct vigil_mmsghdr);
		struct vigil_mmsghdr m;
		if (bpf_probe_read_user(&m, sizeof(m), (void *)e))
			return 0;
		if (m.msg_len != 0)
			continue;
		struct vigil_iovec iov;
		if (m.msg_hdr.msg_iovlen != 1 || bpf_probe_read_user(&iov, sizeof(iov), m.msg_hdr.msg_iov))
			return 0;
		return iov.iov_len == (__u64)ret ? e : 0;
	}
	return 0;
}

/* vigil_mmsg is vigil_data_of for one message of a sendmmsg or recvmmsg
 * (vigil_mmsg_entry), or its bytes counted when it is not known. */
static __always_inline int vigil_mmsg(struct vigil_config *cfg, __u64 pid_tgid, __s32 fd, __u64 vec, __u64 vlen,
				      __s64 ret, __u8 dir, __u64 g, struct sock *sk)
{
	__u64 e = vigil_mmsg_entry(vec, vlen, ret, dir);
	if (e)
		return vigil_data_of(cfg, pid_tgid, fd, e, 0, ret, VIGIL_ARG_MSG, dir, g, sk);
	return vigil_data_of(cfg, pid_tgid, fd, 0, 0, ret, VIGIL_ARG_NOCAP, dir, g, sk);
}

/* vigil_sock_io handles ret bytes moved by sk in direction dir. Untraced
 * processes leave at the filter, before the registers are looked at. */
static __always_inline int vigil_sock_io(struct sock *sk, int ret, __u8 dir)
{
	if (ret <= 0)
		return 0;
	__u64 pid_tgid;
	struct vigil_config *cfg = vigil_current(&pid_tgid);
	if (!cfg)
		return 0;
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (!regs)
		return 0;
	long nr = VIGIL_SYSCALL_NR(regs);
	__s32 fd = VIGIL_ARG0(regs);
	__u64 g = VIGIL_GOG(regs);
	if (dir == VIGIL_EGRESS) {
		switch (nr) {
		case VIGIL_NR_WRITE:
		case VIGIL_NR_SENDTO:
			return vigil_data_of(cfg, pid_tgid, fd, VIGIL_ARG1(regs), 0, ret, VIGIL_ARG_BUF, dir, g, sk);
		case VIGIL_NR_WRITEV:
			return vigil_data_of(cfg, pid_tgid, fd, VIGIL_ARG1(regs), VIGIL_ARG2(regs), ret, VIGIL_ARG_IOV, dir, g, sk);
		case VIGIL_NR_SENDMSG:
			return vigil_data_of(cfg, pid_tgid, fd, VIGIL_ARG1(regs), 0, ret, VIGIL_ARG_MSG, dir, g, sk);
		case VIGIL_NR_SENDFILE:
			return vigil_data_of(cfg, pid_tgid, fd, 0, 0, ret, VIGIL_ARG_NOCAP, dir, g, sk);
		case VIGIL_NR_SENDMMSG:
			return vigil_mmsg(cfg, pid_tgid, fd, VIGIL_ARG1(regs), VIGIL_ARG2(regs), ret, dir, g, sk);
		}
		return vigil_sock_gap(sk, ret, dir); /* io_uring, splice */
	}
	switch (nr) {
	case VIGIL_NR_READ:
	case VIGIL_NR_RECVFROM:
		return vigil_data_of(cfg, pid_tgid, fd, VIGIL_ARG1(regs), 0, ret, VIGIL_ARG_BUF, dir, g, sk);
	case VIGIL_NR_READV:
		return vigil_data_of(cfg, pid_tgid, fd, VIGIL_ARG1(regs), VIGIL_ARG2(regs), ret, VIGIL_ARG_IOV, dir, g, sk);
	case VIGIL_NR_RECVMSG:
		return vigil_data_of(cfg, pid_tgid, fd, VIGIL_ARG1(regs), 0, ret, VIGIL_ARG_MSG, dir, g, sk);
	case VIGIL_NR_RECVMMSG:
		return vigil_mmsg(cfg, pid_tgid, fd, VIGIL_ARG1(regs), VIGIL_ARG2(regs), ret, dir, g, sk);
	}
	return vigil_sock_gap(sk, ret, dir);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(vigil_sock_send, struct sock *sk, int ret, int flags)
{
	return vigil_sock_io(sk, ret, VIGIL_EGRESS);
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(vigil_sock_recv, struct sock *sk, int ret, int flags)
{
	if (flags & VIGIL_MSG_PEEK) /* moves no bytes out of the stream */
		return 0;
	return vigil_sock_io(sk, ret, VIGIL_INGRESS);
}

/* vigil_sock_end reports the end of the traced connection on sk, if any. */
static __always_inline void vigil_sock_end(struct sock *sk)
{
	__u64 p = (__u64)sk;
	struct vigil_sock_owner *o = bpf_map_lookup_elem(&vigil_socks, &p);
	if (!o)
		return;
	__u64 key = o->key;
	__u64 cookie = o->cookie;
	bpf_map_delete_elem(&vigil_socks, &p);
	struct vigil_config *cfg = vigil_cfg();
	struct vigil_conn *c = bpf_map_lookup_elem(&vigil_conns, &key);
	/* The thread, when the owner's own call ended it (close, shutdown);
	 * 0 when it ended in softirq context, on the peer's packet. */
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (pid_tgid >> 32) == (key >> 32) ? (__u32)pid_tgid : 0;
	if (cfg && c && c->cookie == cookie)
		vigil_conn_end(cfg, key, c, tid);
}

/* TCP state changes, for every TCP socket: runs a few times per
 * connection, often in softirq context (any current task). The role is
 * kept by socket address until the socket's first traced I/O. A socket
 * ends when it reaches CLOSE, or LAST_ACK (closed after the peer's FIN:
 * nothing more can move); FIN_WAIT1 may be shutdown(SHUT_WR) with replies
 * still to read. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(vigil_sock_state, struct sock *sk, int oldstate, int newstate)
{
	__u64 p = (__u64)sk;
	__u8 role;
	switch (newstate) {
	case VIGIL_TCP_SYN_SENT:
		role = VIGIL_ROLE_CLIENT;
		bpf_map_update_elem(&vigil_roles, &p, &role, BPF_ANY);
		break;
	case VIGIL_TCP_SYN_RECV:
		role = VIGIL_ROLE_SERVER;
		bpf_map_update_elem(&vigil_roles, &p, &role, BPF_ANY);
		break;
	case VIGIL_TCP_CLOSE:
		bpf_map_delete_elem(&vigil_roles, &p);
		vigil_sock_end(sk);
		break;
	case VIGIL_TCP_LAST_ACK:
		vigil_sock_end(sk);
		break;
	}
	return 0;
}
