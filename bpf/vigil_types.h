/* Minimal kernel types for CO-RE: only the fields vigil reads. The
 * preserve_access_index attribute makes clang record each access as a
 * relocation, so libbpf (cilium/ebpf) fixes offsets from the running
 * kernel's BTF at load time. */
#ifndef VIGIL_TYPES_H
#define VIGIL_TYPES_H

typedef unsigned char __u8;
typedef short __s16;
typedef unsigned short __u16;
typedef int __s32;
typedef unsigned int __u32;
typedef long long __s64;
typedef unsigned long long __u64;
typedef __u16 __be16;
typedef __u32 __be32;
typedef __u32 __wsum;
typedef _Bool bool;
#define true 1
#define false 0

enum bpf_map_type {
	BPF_MAP_TYPE_HASH = 1,
	BPF_MAP_TYPE_ARRAY = 2,
	BPF_MAP_TYPE_PERCPU_ARRAY = 6,
	BPF_MAP_TYPE_LRU_HASH = 9,
	BPF_MAP_TYPE_RINGBUF = 27,
};

enum {
	BPF_RB_NO_WAKEUP = 1,
	BPF_RB_FORCE_WAKEUP = 2,
};

enum {
	BPF_RB_AVAIL_DATA = 0,
};

enum {
	BPF_ANY = 0,
	BPF_NOEXIST = 1,
};

struct in6_addr {
	union {
		__u8 u6_addr8[16];
		__be32 u6_addr32[4];
	} in6_u;
} __attribute__((preserve_access_index));

struct sock_common {
	__be32 skc_daddr;
	__be32 skc_rcv_saddr;
	__be16 skc_dport;
	__u16 skc_num;
	unsigned short skc_family;
	volatile unsigned char skc_state;
	struct in6_addr skc_v6_daddr;
	struct in6_addr skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

struct sock {
	struct sock_common __sk_common;
} __attribute__((preserve_access_index));

struct socket {
	short type;
	struct sock *sk;
} __attribute__((preserve_access_index));

struct inode {
	unsigned short i_mode;
} __attribute__((preserve_access_index));

struct file {
	struct inode *f_inode;
	void *private_data;
} __attribute__((preserve_access_index));

struct fdtable {
	unsigned int max_fds;
	struct file **fd;
} __attribute__((preserve_access_index));

struct files_struct {
	struct fdtable *fdt;
} __attribute__((preserve_access_index));

struct kernfs_node {
	__u64 id;
} __attribute__((preserve_access_index));

struct cgroup {
	struct kernfs_node *kn;
} __attribute__((preserve_access_index));

struct cgroup_subsys_state {
	struct cgroup *cgroup;
} __attribute__((preserve_access_index));

struct css_set {
	struct cgroup_subsys_state *subsys[14];
} __attribute__((preserve_access_index));

struct task_struct {
	struct files_struct *files;
	struct css_set *cgroups;
} __attribute__((preserve_access_index));

enum cgroup_subsys_id {
	cpu_cgrp_id = 1,
	memory_cgrp_id = 4,
};

/* User-space layouts (stable ABI, no relocation needed). */
struct vigil_iovec {
	void *iov_base;
	__u64 iov_len;
};

struct vigil_user_msghdr {
	void *msg_name;
	int msg_namelen;
	struct vigil_iovec *msg_iov;
	__u64 msg_iovlen;
	void *msg_control;
	__u64 msg_controllen;
	unsigned int msg_flags;
};

/* One entry of sendmmsg/recvmmsg's array: the kernel writes msg_len, the
 * bytes moved, after moving the message. */
struct vigil_mmsghdr {
	struct vigil_user_msghdr msg_hdr;
	unsigned int msg_len;
};

/* The layout of syscalls/sys_enter_* and sys_exit_* tracepoint records:
 * 8 bytes of common fields, the syscall number, then 8 bytes per argument. */
struct vigil_sys_enter {
	__u64 common;
	__s64 nr;
	__u64 args[6];
};

struct vigil_sys_exit {
	__u64 common;
	__s64 nr;
	__s64 ret;
};

#endif
