//go:build ignore

// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* vigil capture: socket I/O of the traced processes becomes ring-buffer
 * events, observed at the socket layer (sock.h: tracepoints inside
 * sock_sendmsg/sock_recvmsg, kernel 6.3+) or, on older kernels, at the
 * syscall exit (lifecycle.h: the raw tracepoint, close at its entry). User
 * space attaches one set. Work per event is small: one array and one hash
 * lookup for untraced processes, a cached negative answer for sockets not
 * traced. Only the end of each call is observed, so an event's start and
 * end are both that time. TLS libraries' plaintext comes from uprobes
 * (ssl.h, go.h). */
#include "vigil_types.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>

#include "capture.h"
#include "arch.h"

char __license[] SEC("license") = "Dual BSD/GPL";

/* Referenced so their BTF is emitted and bpf2go generates Go twins. */
const struct vigil_data_event *vigil_unused_data_event __attribute__((unused));
const struct vigil_conn_event *vigil_unused_conn_event __attribute__((unused));
const enum vigil_stat *vigil_unused_stat __attribute__((unused));

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vigil_config);
} vigil_settings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* tgid */
	__type(value, __u8);
} vigil_pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64); /* cgroup id (kernfs node id) */
	__type(value, __u8);
} vigil_cgroups SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16); /* port, host order */
	__type(value, __u8);
} vigil_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64); /* tgid << 32 | fd */
	__type(value, struct vigil_conn);
} vigil_conns SEC(".maps");

/* File descriptors known not to be traced sockets (files, pipes, unix
 * sockets, filtered ports): kept apart so they never evict connections. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 32768);
	__type(key, __u64);
	__type(value, __u64); /* the socket's cookie, 0 with the syscall hooks */
} vigil_skip SEC(".maps");

/* How TCP sockets began (sock.h): the client or server role, by socket
 * address, from the handshake until the socket's first traced I/O. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8);
} vigil_roles SEC(".maps");

/* The descriptor of each traced TCP socket, by socket address, so the
 * socket's end (sock.h) finds its connection. */
struct vigil_sock_owner {
	__u64 key;    /* tgid << 32 | fd */
	__u64 cookie; /* tells a reused socket address apart */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct vigil_sock_owner);
} vigil_socks SEC(".maps");


/* One scratch event per CPU: the data copy is built here and handed to
 * bpf_ringbuf_output with its real size. The loader sets max_entries to the
 * number of possible CPUs. The data area is twice the capture maximum so the
 * iovec loop's offset and length can be bounded separately. */
struct vigil_scratch {
	struct vigil_data_event ev;
	__u8 data[2 * VIGIL_MAX_CAPTURE];
};

/* A scratch event guarded by busy, for programs that may be preempted:
 * uprobes run with migration, not preemption, disabled, and so may syscall
 * tracepoints (faultable since 6.14). Another program on the same CPU
 * finding it busy drops its event (counted) rather than share it. The
 * socket-layer hooks run with preemption disabled and need no guard. */
struct vigil_guarded {
	__u32 busy;
	__u32 _pad;
	struct vigil_scratch s;
};

/* The data path's scratch events. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct vigil_guarded);
} vigil_scratchpad SEC(".maps");

/* The TLS paths' own: a socket hook of another task on the same CPU never
 * overwrites a preempted uprobe's half-built event. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct vigil_guarded);
} vigil_tls_scratchpad SEC(".maps");

/* vigil_claim takes a guarded scratch; false when another program holds it
 * (counted). vigil_release gives it back: the same CPU, so program order
 * suffices. */
static __always_inline bool vigil_claim(struct vigil_guarded *g);
static __always_inline void vigil_release(struct vigil_guarded *g)
{
	*(volatile __u32 *)&g->busy = 0;
}

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} vigil_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, VIGIL_STAT_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} vigil_stats SEC(".maps");

static __always_inline void vigil_count(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&vigil_stats, &idx);
	if (v)
		*v += n;
}

static __always_inline bool vigil_claim(struct vigil_guarded *g)
{
	if (__sync_lock_test_and_set(&g->busy, 1)) {
		vigil_count(VIGIL_STAT_PREEMPTED, 1);
		return false;
	}
	return true;
}

static __always_inline struct vigil_config *vigil_cfg(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&vigil_settings, &zero);
}

static __always_inline __u64 vigil_cgroup_id(struct vigil_config *cfg)
{
	if (cfg->cgroup_mode == VIGIL_CGROUP_V2)
		return bpf_get_current_cgroup_id();
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	int idx = cfg->cgroup_mode == VIGIL_CGROUP_V1_CPU
			  ? bpf_core_enum_value(enum cgroup_subsys_id, cpu_cgrp_id)
			  : bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id);
	if (idx < 0 || idx >= 14)
		return 0;
	struct css_set *cs = BPF_CORE_READ(task, cgroups);
	struct cgroup_subsys_state *css = 0;
	bpf_core_read(&css, sizeof(css), &cs->subsys[idx]);
	return BPF_CORE_READ(css, cgroup, kn, id);
}

/* The last filter verdicts of each CPU, four slots chosen by a hash of the
 * tgid: socket I/O comes in runs of a few processes (a client and its
 * server, PostgreSQL's backends and their clients, nginx's workers), and an
 * array slot costs less than the hash lookups (and, on cgroup v1, the walk
 * to the task's cgroup). With one slot, two processes taking turns on a
 * CPU missed every time. A verdict expires when the filter changes
 * (generation) and, with a cgroup filter, after VIGIL_VERDICT_USES uses: a
 * process moved to another cgroup (rare; a thread in another cgroup than
 * its process, rarer) is judged again within that many socket calls. Each
 * verdict is one 64-bit word, read and written whole, since a preemptible
 * program (a uprobe's) on the same CPU may be interrupted halfway: tgid in
 * the high half, then 16 bits of the generation, 15 of uses and the
 * verdict itself. */
#define VIGIL_VERDICT_USES 256

#define VIGIL_VERDICT_SLOTS 4

struct vigil_verdict_slots {
	__u64 slot[VIGIL_VERDICT_SLOTS];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct vigil_verdict_slots);
} vigil_verdicts SEC(".maps");

/* vigil_filter_chosen looks the current process up in the pid and cgroup
 * filters. */
static __always_inline bool vigil_filter_chosen(struct vigil_config *cfg, __u32 tgid)
{
	if ((cfg->flags & VIGIL_FILTER_PID) && bpf_map_lookup_elem(&vigil_pids, &tgid))
		return true;
	if (cfg->flags & VIGIL_FILTER_CGROUP) {
		__u64 cg = vigil_cgroup_id(cfg);
		if (bpf_map_lookup_elem(&vigil_cgroups, &cg))
			return true;
	}
	return false;
}

/* vigil_traced says whether the current process is chosen for capture. */
static __always_inline bool vigil_traced(struct vigil_config *cfg, __u32 tgid)
{
	if (tgid == cfg->self_tgid)
		return false;
	if (!(cfg->flags & (VIGIL_FILTER_PID | VIGIL_FILTER_CGROUP)))
		return true;
	__u32 zero = 0;
	struct vigil_verdict_slots *vs = bpf_map_lookup_elem(&vigil_verdicts, &zero);
	if (!vs)
		return vigil_filter_chosen(cfg, tgid);
	__u32 i = (tgid * 0x9e3779b1u) >> 30; /* Fibonacci hashing: the top 2 bits */
	__u64 tag = ((__u64)tgid << 32) | ((__u64)(cfg->generation & 0xffff) << 16);
	volatile __u64 *slot = &vs->slot[i & (VIGIL_VERDICT_SLOTS - 1)];
	__u64 cur = *slot;
	if ((cur & ~0xffffULL) == tag) {
		if (!(cfg->flags & VIGIL_FILTER_CGROUP))
			return cur & 1;
		if (((cur >> 1) & 0x7fff) < VIGIL_VERDICT_USES) {
			*slot = cur + 2;
			return cur & 1;
		}
	}
	bool traced = vigil_filter_chosen(cfg, tgid);
	*slot = tag | traced;
	return traced;
}

/* vigil_wakeup_flags batches wakeups per CPU: asking the ring how much is
 * queued reads the consumer's position, a cache line the reader writes
 * from another CPU, on every event. */
/* vigil_current returns the settings when the current process is chosen
 * for capture (0 otherwise), and its pid_tgid. */
static __always_inline struct vigil_config *vigil_current(__u64 *pid_tgid)
{
	*pid_tgid = bpf_get_current_pid_tgid();
	struct vigil_config *cfg = vigil_cfg();
	if (!cfg || !vigil_traced(cfg, *pid_tgid >> 32))
		return 0;
	return cfg;
}

static __always_inline __u32 vigil_wakeup_flags(struct vigil_config *cfg, __u32 size)
{
	__u32 idx = VIGIL_STAT_UNWOKEN;
	__u64 *v = bpf_map_lookup_elem(&vigil_stats, &idx);
	if (!v)
		return BPF_RB_FORCE_WAKEUP;
	*v += size;
	if (*v < cfg->wakeup_bytes)
		return BPF_RB_NO_WAKEUP;
	*v = 0;
	return BPF_RB_FORCE_WAKEUP;
}

#include "conn.h"
#include "copy.h"
#include "tls.h"
#include "data.h"
#include "lifecycle.h"
#include "sock.h"
#include "ssl.h"
#include "go.h"
