/* Copying user buffers into the per-CPU scratch event, and queueing it. */

static __always_inline __u32 vigil_copy_buf(struct vigil_scratch *s, __u64 ptr, __u32 want)
{
	if (want > VIGIL_MAX_CAPTURE)
		want = VIGIL_MAX_CAPTURE;
	if (bpf_probe_read_user(s->data, want, (void *)ptr))
		return 0;
	return want;
}

/* vigil_copy_iov walks an iovec array: the bytes moved fill the buffers in
 * order, so the first `want` bytes are the heads of the first buffers. */
static __always_inline __u32 vigil_copy_iov(struct vigil_scratch *s, __u64 iovp, __u64 cnt, __u32 want)
{
	__u32 off = 0;
	for (int i = 0; i < VIGIL_MAX_IOV; i++) {
		if (i >= cnt || off >= want || off >= VIGIL_MAX_CAPTURE)
			break;
		struct vigil_iovec iov;
		if (bpf_probe_read_user(&iov, sizeof(iov), (void *)(iovp + i * sizeof(iov))))
			break;
		__u64 n = iov.iov_len;
		if (n > want - off)
			n = want - off;
		if (n > VIGIL_MAX_CAPTURE)
			n = VIGIL_MAX_CAPTURE;
		if (bpf_probe_read_user(&s->data[off & (VIGIL_MAX_CAPTURE - 1)], n, iov.iov_base))
			break;
		off += n;
	}
	return off;
}

static __always_inline __u32 vigil_copy(struct vigil_scratch *s, __u8 kind, __u64 ptr, __u64 cnt, __u32 want)
{
	switch (kind) {
	case VIGIL_ARG_BUF:
		return vigil_copy_buf(s, ptr, want);
	case VIGIL_ARG_IOV:
		return vigil_copy_iov(s, ptr, cnt, want);
	case VIGIL_ARG_MSG: {
		struct vigil_user_msghdr msg;
		if (bpf_probe_read_user(&msg, sizeof(msg), (void *)ptr))
			return 0;
		return vigil_copy_iov(s, (__u64)msg.msg_iov, msg.msg_iovlen, want);
	}
	}
	return 0;
}

/* vigil_output queues the data event whose bytes s holds; it returns false
 * when the ring buffer was full. */
static __always_inline bool vigil_output(struct vigil_config *cfg, struct vigil_scratch *s, __u64 pid_tgid,
					 __s32 fd, __u64 conn_id, __u64 off, __u64 start, __u64 end, __s64 ret,
					 __u32 cap, __u8 dir, __u8 flags)
{
	if (cap > VIGIL_MAX_CAPTURE)
		cap = VIGIL_MAX_CAPTURE;
	s->ev.type = VIGIL_EV_DATA;
	s->ev.dir = dir;
	s->ev.flags = flags;
	s->ev.tgid = pid_tgid >> 32;
	s->ev.tid = (__u32)pid_tgid;
	s->ev.fd = fd;
	s->ev.conn_id = conn_id;
	s->ev.off = off;
	s->ev.start = start;
	s->ev.end = end;
	s->ev.len = ret > 0xffffffff ? 0xffffffff : (__u32)ret;
	s->ev.cap = cap;
	if (bpf_ringbuf_output(&vigil_events, s, sizeof(s->ev) + cap, vigil_wakeup_flags(cfg, sizeof(s->ev) + cap))) {
		vigil_count(VIGIL_STAT_DATA_DROPS, 1);
		vigil_count(VIGIL_STAT_DROPPED_BYTES, ret);
		return false;
	}
	vigil_count(VIGIL_STAT_DATA_EVENTS, 1);
	return true;
}
