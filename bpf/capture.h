/* Structures shared with user space (bpf2go generates their Go twins). */
#ifndef VIGIL_CAPTURE_H
#define VIGIL_CAPTURE_H

#define VIGIL_MAX_CAPTURE 16384
#define VIGIL_MAX_IOV 16
#define VIGIL_MAX_MMSG 8 /* sendmmsg/recvmmsg entries looked at */

enum vigil_filter {
	VIGIL_FILTER_PID = 1,
	VIGIL_FILTER_CGROUP = 2,
	VIGIL_FILTER_PORT = 4,
};

enum vigil_cgroup_mode {
	VIGIL_CGROUP_V2 = 0,
	VIGIL_CGROUP_V1_MEMORY = 1,
	VIGIL_CGROUP_V1_CPU = 2,
};

enum vigil_event_type {
	VIGIL_EV_DATA = 1,
	VIGIL_EV_OPEN = 2,
	VIGIL_EV_CLOSE = 3,
	VIGIL_EV_EXIT = 4,
	VIGIL_EV_EXEC = 5, /* a traced process exec'd: its libraries change */
};

/* Direction as seen by the traced process. */
enum vigil_dir {
	VIGIL_INGRESS = 0, /* read by the process */
	VIGIL_EGRESS = 1,  /* written by the process */
};

enum vigil_role {
	VIGIL_ROLE_UNKNOWN = 0, /* found on first I/O: opened before capture began */
	VIGIL_ROLE_CLIENT = 1,  /* connect() */
	VIGIL_ROLE_SERVER = 2,  /* accept() */
};

enum vigil_stat {
	VIGIL_STAT_DATA_EVENTS = 0,
	VIGIL_STAT_DATA_DROPS = 1,
	VIGIL_STAT_CTRL_DROPS = 2,
	VIGIL_STAT_DROPPED_BYTES = 3,
	VIGIL_STAT_CONNS = 4,
	VIGIL_STAT_TLS_EVENTS = 5,    /* plaintext data events queued */
	VIGIL_STAT_TLS_BYTES = 6,     /* plaintext bytes SSL_read/SSL_write moved */
	VIGIL_STAT_TLS_NO_FD = 7,     /* plaintext whose socket was never seen: lost */
	VIGIL_STAT_TLS_CIPHER = 8,    /* ciphertext bytes not copied: plaintext is */
	VIGIL_STAT_UNWOKEN = 9,       /* bytes this CPU queued since it last woke the reader */
	VIGIL_STAT_PREEMPTED = 10,    /* events dropped: a preempted program held the CPU's scratch */
	VIGIL_STAT_COUNT = 11,
};

/* vigil_data_event flags. */
enum vigil_data_flag {
	VIGIL_DATA_TLS = 1, /* plaintext of a TLS library call, its own offsets */
};

enum vigil_arg_kind {
	VIGIL_ARG_BUF = 0,   /* read/write/sendto/recvfrom: one buffer */
	VIGIL_ARG_IOV = 1,   /* readv/writev: an iovec array */
	VIGIL_ARG_MSG = 2,   /* sendmsg/recvmsg: a msghdr */
	VIGIL_ARG_NOCAP = 3, /* sendfile: bytes counted, none copied */
};

struct vigil_config {
	__u32 flags;        /* enum vigil_filter */
	__u32 self_tgid;    /* the agent itself is never traced */
	__u32 capture;      /* bytes copied per syscall, <= VIGIL_MAX_CAPTURE */
	__u32 wakeup_bytes; /* wake the reader when one CPU queued this much */
	__u32 cgroup_mode;  /* enum vigil_cgroup_mode */
	__u32 generation;   /* changes with the filter: cached verdicts expire */
};

struct vigil_conn {
	__u64 id;         /* ktime at open: tells reused fds apart */
	__u64 cookie;     /* the socket's cookie (socket-layer hooks), else 0 */
	__u64 off[2];     /* stream offsets per direction */
	__u64 tls_off[2]; /* plaintext offsets per direction */
	__u8 role;
	__u8 tls;   /* a TLS library call used it: ciphertext is not copied */
	__u8 plain; /* VIGIL_PLAIN_*: text needs no TLS lookups (data.h) */
	__u8 _pad[5];
};


struct vigil_data_event {
	__u8 type; /* VIGIL_EV_DATA */
	__u8 dir;
	__u8 flags; /* enum vigil_data_flag */
	__u8 _pad;
	__u32 tgid;
	__u32 tid;
	__s32 fd;
	__u64 conn_id;
	__u64 off;   /* stream offset of the first byte */
	__u64 start; /* syscall entry, CLOCK_MONOTONIC ns */
	__u64 end;   /* syscall exit */
	__u32 len;   /* bytes the syscall moved */
	__u32 cap;   /* bytes captured, following this header */
};

struct vigil_conn_event {
	__u8 type; /* VIGIL_EV_OPEN, VIGIL_EV_CLOSE, VIGIL_EV_EXIT or VIGIL_EV_EXEC */
	__u8 role;
	__u16 family; /* AF_INET or AF_INET6 */
	__u32 tgid;
	__u32 tid;
	__s32 fd;
	__u64 conn_id;
	__u64 ts;
	__u64 cgroup_id;
	__u64 off[2]; /* on close: final offsets */
	__u8 laddr[16]; /* VIGIL_EV_EXEC: the new program's comm */
	__u8 raddr[16];
	__u16 lport;
	__u16 rport;
	__u16 sock_type; /* SOCK_STREAM or SOCK_DGRAM */
	__u16 _pad;
};

#endif
