/* TLS plaintext, shared part: the uprobes of ssl.h record each TLS library
 * call per thread; the socket syscall the library makes inside the call
 * tells its descriptor, so no library struct layout is needed. */

struct vigil_tls_call {
	__u64 ssl;   /* the library's connection object */
	__u64 buf;   /* plaintext buffer */
	__u64 lenp;  /* _ex variants: where the byte count is stored, else 0 */
	__u64 start; /* call entry, CLOCK_MONOTONIC ns */
	__s32 fd;    /* socket used inside the call, -1 until one is */
	__u8 dir;
	__u8 _pad[3];
};

struct vigil_tls_key {
	__u64 ssl;
	__u32 tgid;
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
	__type(value, __s32);
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

/* vigil_tls_note_fd is called for socket I/O of a traced connection: inside
 * a TLS call (of this thread, or of the Go goroutine g names) it binds the
 * call and its object to fd and returns true. */
static __always_inline bool vigil_tls_note_fd(__u64 pid_tgid, __s32 fd, __u64 g)
{
	struct vigil_tls_call *tc = bpf_map_lookup_elem(&vigil_tls_calls, &pid_tgid);
	if (!tc) {
		struct vigil_go_key gk = vigil_go_key_of(pid_tgid, g);
		tc = bpf_map_lookup_elem(&vigil_go_calls, &gk);
	}
	if (!tc)
		return false;
	tc->fd = fd;
	struct vigil_tls_key k;
	__builtin_memset(&k, 0, sizeof(k));
	k.ssl = tc->ssl;
	k.tgid = pid_tgid >> 32;
	bpf_map_update_elem(&vigil_tls_fds, &k, &fd, BPF_ANY);
	return true;
}
