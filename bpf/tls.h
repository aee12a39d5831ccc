/* TLS plaintext, shared part: the uprobes of ssl.h and go.h record each TLS
 * library call; the socket syscall the library makes inside the call tells
 * its descriptor, so no library struct layout is needed. */

struct vigil_tls_call {
	__u64 ssl;   /* the library's connection object */
	__u64 buf;   /* plaintext buffer */
	__u64 lenp;  /* _ex variants: where the byte count is stored, else 0 */
	__u64 start; /* call entry, CLOCK_MONOTONIC ns */
	__u64 len;   /* early calls: the bytes to send */
	__s32 fd;    /* socket used inside the call, -1 until one is */
	__u8 dir;
	__u8 early; /* a write whose plaintext goes out once its socket is known */
	__u8 done;  /* early: sent */
	__u8 _pad;
};

struct vigil_tls_key {
	__u64 ssl;
	__u32 tgid;
	__u32 _pad;
};

/* The socket a library connection object used last, and which connection
 * it was: objects are freed and their addresses reused, descriptors too.
 * conn_id 0: a socket vigil does not trace (a filtered port). */
struct vigil_tls_sock {
	__u64 conn_id;
	__s32 fd;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* pid_tgid: the calling thread */
	__type(value, struct vigil_tls_call);
} vigil_tls_calls SEC(".maps");

/* The descriptor of each library connection object, for calls answered
 * from the library's buffer without a syscall. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct vigil_tls_key);
	__type(value, struct vigil_tls_sock);
} vigil_tls_fds SEC(".maps");

/* Go's TLS calls, by goroutine (go.h). */
struct vigil_go_key {
	__u64 g;
	__u32 tgid;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct vigil_go_key);
	__type(value, struct vigil_tls_call);
} vigil_go_calls SEC(".maps");

static __always_inline struct vigil_go_key vigil_go_key_of(__u64 pid_tgid, __u64 g)
{
	struct vigil_go_key k;
	__builtin_memset(&k, 0, sizeof(k));
	k.g = g;
	k.tgid = pid_tgid >> 32;
	return k;
}

/* vigil_tls_note_fd is called for socket I/O of a traced connection, and
 * (conn_id 0) of a socket the port filter leaves out: inside a TLS call (of
 * this thread, or of the Go goroutine g names) it binds the call and its
 * object to fd and returns the call. */
static __always_inline struct vigil_tls_call *vigil_tls_note_fd(__u64 pid_tgid, __s32 fd, __u64 g, __u64 conn_id)
{
	struct vigil_tls_call *tc = bpf_map_lookup_elem(&vigil_tls_calls, &pid_tgid);
	if (!tc) {
		struct vigil_go_key gk = vigil_go_key_of(pid_tgid, g);
		tc = bpf_map_lookup_elem(&vigil_go_calls, &gk);
	}
	if (!tc)
		return 0;
	tc->fd = fd;
	struct vigil_tls_key k;
	__builtin_memset(&k, 0, sizeof(k));
	k.ssl = tc->ssl;
	k.tgid = pid_tgid >> 32;
	struct vigil_tls_sock sock;
	__builtin_memset(&sock, 0, sizeof(sock));
	sock.conn_id = conn_id;
	sock.fd = fd;
	bpf_map_update_elem(&vigil_tls_fds, &k, &sock, BPF_ANY);
	return tc;
}

/* vigil_tls_emit sends the n plaintext bytes of a TLS call as a data event
 * of its socket: the one seen inside the call, else the one last seen for
 * the same library connection object if that connection is still open. It
 * returns false when the socket is not known (counted when unbound). */
static __always_inline bool vigil_tls_emit(struct vigil_tls_call *call, __u64 pid_tgid, __s64 n, bool unbound)
{
	if (n <= 0)
		return false;
	struct vigil_config *cfg = vigil_cfg();
	if (!cfg)
		return false;
	__s32 fd = call->fd;
	struct vigil_conn *c = 0;
	if (fd >= 0) {
		__u64 ck = vigil_key(pid_tgid >> 32, fd);
		c = bpf_map_lookup_elem(&vigil_conns, &ck); /* opened by the I/O inside the call */
	} else {
		struct vigil_tls_key k;
		__builtin_memset(&k, 0, sizeof(k));
		k.ssl = call->ssl;
		k.tgid = pid_tgid >> 32;
		struct vigil_tls_sock *sock = bpf_map_lookup_elem(&vigil_tls_fds, &k);
		if (sock && !sock->conn_id)
			return true; /* on a socket vigil does not trace */
		if (sock) {
			fd = sock->fd;
			__u64 ck = vigil_key(pid_tgid >> 32, fd);
			c = bpf_map_lookup_elem(&vigil_conns, &ck);
			if (c && c->id != sock->conn_id)
				c = 0; /* the descriptor is another connection now */
		}
		if (!c) {
			if (unbound)
				vigil_count(VIGIL_STAT_TLS_NO_FD, 1);
			return false;
		}
	}
	if (!c)
		return true; /* a socket vigil does not trace (filtered port) */
	c->tls = 1;
	__u8 dir = call->dir & 1;
	__u64 off = __sync_fetch_and_add(&c->tls_off[dir], (__u64)n);
	__u64 conn_id = c->id;

	__u32 cpu = bpf_get_smp_processor_id();
	struct vigil_guarded *ts = bpf_map_lookup_elem(&vigil_tls_scratchpad, &cpu);
	if (!ts)
		return true;
	vigil_count(VIGIL_STAT_TLS_BYTES, n);
	if (!vigil_claim(ts))
		return true; /* the offset moved on: a gap */
	__u32 want = cfg->capture;
	if ((__u64)n < want)
		want = (__u32)n;
	__u32 cap = vigil_copy_buf(&ts->s, call->buf, want);
	if (vigil_output(cfg, &ts->s, pid_tgid, fd, conn_id, off, call->start, bpf_ktime_get_ns(), n, cap, dir, VIGIL_DATA_TLS))
		vigil_count(VIGIL_STAT_TLS_EVENTS, 1);
	vigil_release(ts);
	return true;
}

