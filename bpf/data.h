/* Data syscalls, at their exit only: the registers still hold the buffer,
 * and the result says how many bytes moved, so no per-syscall state is kept
 * between entry and exit. */
#define VIGIL_MSG_PEEK 2

/* VIGIL_W4 is four bytes as one little-endian word (both targets are). */
#define VIGIL_W4(a, b, c, d) ((__u32)(a) | (__u32)(b) << 8 | (__u32)(c) << 16 | (__u32)(d) << 24)

/* The plain field of a connection: undecided, text that never turns into
 * TLS (its I/O skips the TLS call lookups), or a tunnel that may. */
#define VIGIL_PLAIN_UNKNOWN 0
#define VIGIL_PLAIN_TEXT 1
#define VIGIL_PLAIN_NEVER 2

/* vigil_plain_opening tells what the first bytes of a read or write (at
 * least 8 of them) say of the connection: an HTTP/1 message, the HTTP/2
 * preface, a Redis command array or a PostgreSQL StartupMessage (sent
 * without TLS, or after the server declined it) mean no TLS follows on it;
 * an HTTP CONNECT means a tunnel, which usually carries TLS. Anything else
 * says nothing: PostgreSQL's SSLRequest is answered by one printable byte,
 * 'S', before the handshake, and MySQL's greeting may begin with one. A
 * TLS record never begins with these bytes, and the ciphertext inside one
 * matches by chance about once in 250 million reads. */
static __always_inline __u8 vigil_plain_opening(const __u8 *d)
{
	__u32 w;
	__builtin_memcpy(&w, d, sizeof(w));
	switch (w) {
	case VIGIL_W4('G', 'E', 'T', ' '):
	case VIGIL_W4('P', 'O', 'S', 'T'):
	case VIGIL_W4('P', 'U', 'T', ' '):
	case VIGIL_W4('H', 'E', 'A', 'D'):
	case VIGIL_W4('P', 'A', 'T', 'C'):
	case VIGIL_W4('D', 'E', 'L', 'E'):
	case VIGIL_W4('O', 'P', 'T', 'I'):
	case VIGIL_W4('H', 'T', 'T', 'P'):
	case VIGIL_W4('P', 'R', 'I', ' '):
		return VIGIL_PLAIN_TEXT;
	case VIGIL_W4('C', 'O', 'N', 'N'):
		return VIGIL_PLAIN_NEVER;
	}
	if (d[0] == '*' && d[1] >= '1' && d[1] <= '9' && d[2] == '\r' && d[3] == '\n')
		return VIGIL_PLAIN_TEXT;
	if (d[0] == 0 && d[4] == 0 && d[5] == 3 && d[6] == 0 && d[7] == 0)
		return VIGIL_PLAIN_TEXT;
	return VIGIL_PLAIN_UNKNOWN;
}

/* vigil_note_plain decides, from the bytes of its I/O, whether the
 * connection can skip the TLS call lookups (vigil_plain_opening), once.
 * Any I/O may decide, not only the first: a connection joined mid-way
 * (opened before capture began, as pooled connections are) decides at its
 * next request. */
static __always_inline void vigil_note_plain(struct vigil_conn *c, __u32 cap, const __u8 *data)
{
	if (c->plain == VIGIL_PLAIN_UNKNOWN && cap >= 8)
		c->plain = vigil_plain_opening(data);
}

/* vigil_data_of handles, for the chosen process cfg and pid_tgid name, the
 * end of a data call on fd that moved ret (> 0) bytes
 * from or to ptr (a buffer, an iovec array of cnt entries, or a msghdr);
 * g is the Go goroutine register, for Go's TLS calls (go.h); sk is the
 * socket with the socket-layer hooks, else 0.
 * The ciphertext of a connection a TLS library call used is not copied:
 * the library's uprobes deliver its plaintext. */
static __always_inline int vigil_data_of(struct vigil_config *cfg, __u64 pid_tgid, __s32 fd, __u64 ptr, __u64 cnt,
					 __s64 ret, __u8 kind, __u8 dir, __u64 g, struct sock *sk)
{
	struct vigil_conn *c = vigil_conn_get(cfg, pid_tgid, fd, sk);
	if (!c) {
		/* A socket left out by the port filter: a TLS call on it is
		 * not traced, rather than unbound (vigil_tls_emit). */
		if (cfg->flags & VIGIL_FILTER_PORT)
			vigil_tls_note_fd(pid_tgid, fd, g, 0);
		return 0;
	}
	__u64 off = __sync_fetch_and_add(&c->off[dir & 1], (__u64)ret);
	struct vigil_tls_call *tc = 0;
	if (c->plain != VIGIL_PLAIN_TEXT)
		tc = vigil_tls_note_fd(pid_tgid, fd, g, c->id);
	if (tc || c->tls) {
		c->tls = 1;
		vigil_count(VIGIL_STAT_TLS_CIPHER, ret);
		if (tc && tc->early && !tc->done) {
			tc->done = 1;
			struct vigil_tls_call call = *tc;
			vigil_tls_emit(&call, pid_tgid, call.len, true);
		}
		return 0;
	}
	__u64 conn_id = c->id;

	__u32 cpu = bpf_get_smp_processor_id();
	struct vigil_guarded *gs = bpf_map_lookup_elem(&vigil_scratchpad, &cpu);
	if (!gs)
		return 0;
	bool guard = !sk; /* the syscall hooks may be preempted (capture.c) */
	if (guard && !vigil_claim(gs))
		return 0; /* the offset moved on: a gap */
	struct vigil_scratch *s = &gs->s;
	__u32 want = cfg->capture;
	if ((__u64)ret < want)
		want = (__u32)ret;
	__u32 cap = vigil_copy(s, kind, ptr, cnt, want);
	vigil_note_plain(c, cap, s->data);
	__u64 now = bpf_ktime_get_ns(); /* the exit alone is observed: see capture.c */
	vigil_output(cfg, s, pid_tgid, fd, conn_id, off, now, now, ret, cap, dir, 0);
	if (guard)
		vigil_release(gs);
	return 0;
}

/* vigil_data is vigil_data_of for the syscall hooks: the current process
 * is checked against the filter first, and the socket comes from fd. */
static __always_inline int vigil_data(__s32 fd, __u64 ptr, __u64 cnt, __s64 ret, __u8 kind, __u8 dir, __u64 g)
{
	if (ret <= 0)
		return 0;
	__u64 pid_tgid;
	struct vigil_config *cfg = vigil_current(&pid_tgid);
	if (!cfg)
		return 0;
	return vigil_data_of(cfg, pid_tgid, fd, ptr, cnt, ret, kind, dir, g, 0);
}
