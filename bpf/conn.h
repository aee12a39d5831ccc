/* Connections: from a file descriptor to its socket and 4-tuple, once per
 * connection, cached in vigil_conns. With the socket-layer hooks (sock.h)
 * the socket is known and its cookie tells a reused descriptor apart; with
 * the syscall hooks (lifecycle.h) close(2) forgets descriptors and the
 * cookie is 0. */
#define VIGIL_AF_INET 2
#define VIGIL_AF_INET6 10
#define VIGIL_S_IFMT 0170000
#define VIGIL_S_IFSOCK 0140000
#define VIGIL_SOCK_STREAM 1
#define VIGIL_SOCK_DGRAM 2
#define VIGIL_TCP_ESTABLISHED 1

static __always_inline __u64 vigil_key(__u32 tgid, __s32 fd)
{
	return ((__u64)tgid << 32) | (__u32)fd;
}

/* vigil_fd_socket walks task->files->fdt->fd[fd] to the struct socket, or
 * returns 0 when the descriptor is not a socket. */
static __always_inline struct socket *vigil_fd_socket(__s32 fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
	if (!fdt || fd < 0 || (__u32)fd >= BPF_CORE_READ(fdt, max_fds))
		return 0;
	struct file **fds = BPF_CORE_READ(fdt, fd);
	struct file *f = 0;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return 0;
	unsigned short mode = BPF_CORE_READ(f, f_inode, i_mode);
	if ((mode & VIGIL_S_IFMT) != VIGIL_S_IFSOCK)
		return 0;
	return (struct socket *)BPF_CORE_READ(f, private_data);
}

static __always_inline bool vigil_port_chosen(struct vigil_config *cfg, __u16 lport, __u16 rport)
{
	if (!(cfg->flags & VIGIL_FILTER_PORT))
		return true;
	return bpf_map_lookup_elem(&vigil_ports, &lport) || bpf_map_lookup_elem(&vigil_ports, &rport);
}

/* vigil_fill_tuple reads family, type and addresses into ev; it returns
 * false for sockets vigil does not trace (not IPv4/IPv6 stream or datagram). */
static __always_inline bool vigil_fill_tuple(struct vigil_conn_event *ev, struct socket *sock, struct sock *sk)
{
	if (!sk)
		return false;
	ev->sock_type = BPF_CORE_READ(sock, type);
	if (ev->sock_type != VIGIL_SOCK_STREAM && ev->sock_type != VIGIL_SOCK_DGRAM)
		return false;
	ev->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	ev->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	ev->rport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
	if (ev->family == VIGIL_AF_INET) {
		__be32 l = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		__be32 r = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		__builtin_memcpy(ev->laddr, &l, 4);
		__builtin_memcpy(ev->raddr, &r, 4);
		return true;
	}
	if (ev->family == VIGIL_AF_INET6) {
		BPF_CORE_READ_INTO(&ev->laddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&ev->raddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
		return true;
	}
	return false;
}

/* vigil_sk_role tells, with the socket-layer hooks, how a socket came to
 * be: a TCP socket vigil saw go through SYN_SENT or SYN_RECV (sock.h), or a
 * connected UDP socket, is a client's or a server's from its start; any
 * other was opened before capture began, or is an unconnected UDP socket. */
static __always_inline __u8 vigil_sk_role(struct sock *sk, __u16 sock_type)
{
	__u64 p = (__u64)sk;
	if (sock_type == VIGIL_SOCK_DGRAM)
		return BPF_CORE_READ(sk, __sk_common.skc_state) == VIGIL_TCP_ESTABLISHED ? VIGIL_ROLE_CLIENT
											: VIGIL_ROLE_UNKNOWN;
	__u8 *r = bpf_map_lookup_elem(&vigil_roles, &p);
	if (!r)
		return VIGIL_ROLE_UNKNOWN;
	__u8 role = *r;
	bpf_map_delete_elem(&vigil_roles, &p);
	return role;
}

/* vigil_conn_open records a connection: role is CLIENT after connect,
 * SERVER after accept, UNKNOWN when first seen on I/O; sk is the socket the
 * hook saw (0 with the syscall hooks: the descriptor's). It returns the
 * cached entry, or 0 when the descriptor is not traced (remembered in
 * vigil_skip so the walk is not repeated). */
static __always_inline struct vigil_conn *vigil_conn_open(struct vigil_config *cfg, __u64 pid_tgid,
							  __s32 fd, struct sock *sk, __u64 cookie, __u8 role)
{
	__u32 tgid = pid_tgid >> 32;
	__u64 key = vigil_key(tgid, fd);
	struct vigil_conn_event ev;
	__builtin_memset(&ev, 0, sizeof(ev));

	struct socket *sock = vigil_fd_socket(fd);
	struct sock *fdsk = sock ? BPF_CORE_READ(sock, sk) : 0;
	if (sk && fdsk != sk)
		return 0; /* the registers name another descriptor (an io_uring worker's) */
	if (!sock || !vigil_fill_tuple(&ev, sock, fdsk) || !vigil_port_chosen(cfg, ev.lport, ev.rport)) {
		bpf_map_update_elem(&vigil_skip, &key, &cookie, BPF_ANY);
		bpf_map_delete_elem(&vigil_conns, &key);
		return 0;
	}
	bpf_map_delete_elem(&vigil_skip, &key);
	if (sk && role == VIGIL_ROLE_UNKNOWN)
		role = vigil_sk_role(sk, ev.sock_type);

	struct vigil_conn c;
	__builtin_memset(&c, 0, sizeof(c));
	c.id = bpf_ktime_get_ns();
	c.cookie = cookie;
	c.role = role;
	if (bpf_map_update_elem(&vigil_conns, &key, &c, BPF_ANY))
		return 0;
	vigil_count(VIGIL_STAT_CONNS, 1);
	if (sk && ev.sock_type == VIGIL_SOCK_STREAM) {
		struct vigil_sock_owner o = {.key = key, .cookie = cookie};
		__u64 p = (__u64)sk;
		bpf_map_update_elem(&vigil_socks, &p, &o, BPF_ANY);
	}

	ev.type = VIGIL_EV_OPEN;
	ev.role = role;
	ev.tgid = tgid;
	ev.tid = (__u32)pid_tgid;
	ev.fd = fd;
	ev.conn_id = c.id;
	ev.ts = c.id;
	ev.cgroup_id = vigil_cgroup_id(cfg);
	if (bpf_ringbuf_output(&vigil_events, &ev, sizeof(ev), vigil_wakeup_flags(cfg, sizeof(ev))))
		vigil_count(VIGIL_STAT_CTRL_DROPS, 1);
	return bpf_map_lookup_elem(&vigil_conns, &key);
}

/* vigil_conn_end reports the end of connection c, cached under key, and
 * forgets it. */
static __always_inline void vigil_conn_end(struct vigil_config *cfg, __u64 key, struct vigil_conn *c, __u32 tid)
{
	struct vigil_conn_event ev;
	__builtin_memset(&ev, 0, sizeof(ev));
	ev.type = VIGIL_EV_CLOSE;
	ev.role = c->role;
	ev.tgid = key >> 32;
	ev.tid = tid;
	ev.fd = (__s32)key;
	ev.conn_id = c->id;
	ev.ts = bpf_ktime_get_ns();
	ev.off[0] = c->off[0];
	ev.off[1] = c->off[1];
	bpf_map_delete_elem(&vigil_conns, &key);
	if (bpf_ringbuf_output(&vigil_events, &ev, sizeof(ev), vigil_wakeup_flags(cfg, sizeof(ev))))
		vigil_count(VIGIL_STAT_CTRL_DROPS, 1);
}

/* vigil_conn_get returns the entry of a descriptor seen before, or finds
 * out on first I/O whether it is a traced socket. With the socket-layer
 * hooks sk is the socket the I/O went to: an entry of another socket means
 * the descriptor was closed and reused, which no hook saw. */
static __always_inline struct vigil_conn *vigil_conn_get(struct vigil_config *cfg, __u64 pid_tgid, __s32 fd,
							 struct sock *sk)
{
	__u64 key = vigil_key(pid_tgid >> 32, fd);
	__u64 cookie = sk ? bpf_get_socket_cookie(sk) : 0;
	struct vigil_conn *c = bpf_map_lookup_elem(&vigil_conns, &key);
	if (c) {
		if (c->cookie == cookie)
			return c;
		struct socket *sock = vigil_fd_socket(fd);
		if (!sock || BPF_CORE_READ(sock, sk) != sk)
			return 0; /* the registers name another descriptor */
		vigil_conn_end(cfg, key, c, (__u32)pid_tgid);
	} else {
		__u64 *skip = bpf_map_lookup_elem(&vigil_skip, &key);
		if (skip && *skip == cookie)
			return 0;
	}
	return vigil_conn_open(cfg, pid_tgid, fd, sk, cookie, VIGIL_ROLE_UNKNOWN);
}

/* vigil_conn_close forgets a descriptor and reports the connection's end. */
static __always_inline void vigil_conn_close(struct vigil_config *cfg, __u64 pid_tgid, __s32 fd)
{
	__u64 key = vigil_key(pid_tgid >> 32, fd);
	struct vigil_conn *c = bpf_map_lookup_elem(&vigil_conns, &key);
	if (!c) {
		bpf_map_delete_elem(&vigil_skip, &key);
		return;
	}
	vigil_conn_end(cfg, key, c, (__u32)pid_tgid);
}
