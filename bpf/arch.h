/* Syscall numbers and argument registers of the syscall-exit raw tracepoint
 * and of the socket-layer hooks (the task's saved user registers), and the
 * argument registers of user functions at uprobes.
 * At sys_exit the saved user registers still hold the arguments (x86-64:
 * di, si, dx, r10; arm64: orig_x0, then x1..x3, x0 holding the result). */
#if defined(__TARGET_ARCH_x86)
struct pt_regs {
	unsigned long r14;
	unsigned long r10;
	unsigned long bx;
	unsigned long ax;
	unsigned long cx;
	unsigned long dx;
	unsigned long si;
	unsigned long di;
	unsigned long orig_ax;
} __attribute__((preserve_access_index));
#define VIGIL_SYSCALL_NR(r) ((long)(r)->orig_ax)
#define VIGIL_ARG0(r) ((r)->di)
#define VIGIL_ARG1(r) ((r)->si)
#define VIGIL_ARG2(r) ((r)->dx)
#define VIGIL_ARG3(r) ((r)->r10)
/* A C function's arguments and result at a uprobe (System V ABI). */
#define VIGIL_UARG0(r) ((r)->di)
#define VIGIL_UARG1(r) ((r)->si)
#define VIGIL_UARG2(r) ((r)->dx)
#define VIGIL_UARG3(r) ((r)->cx)
#define VIGIL_URET(r) ((r)->ax)
/* Go's register ABI (1.17+): first arguments and results, and g. */
#define VIGIL_GOARG0(r) ((r)->ax)
#define VIGIL_GOARG1(r) ((r)->bx)
#define VIGIL_GOARG2(r) ((r)->cx)
#define VIGIL_GOG(r) ((r)->r14)
#define VIGIL_NR_READ 0
#define VIGIL_NR_WRITE 1
#define VIGIL_NR_CLOSE 3
#define VIGIL_NR_READV 19
#define VIGIL_NR_WRITEV 20
#define VIGIL_NR_SENDFILE 40
#define VIGIL_NR_CONNECT 42
#define VIGIL_NR_ACCEPT 43
#define VIGIL_NR_SENDTO 44
#define VIGIL_NR_RECVFROM 45
#define VIGIL_NR_SENDMSG 46
#define VIGIL_NR_RECVMSG 47
#define VIGIL_NR_ACCEPT4 288
#define VIGIL_NR_RECVMMSG 299
#define VIGIL_NR_SENDMMSG 307
#elif defined(__TARGET_ARCH_arm64)
struct pt_regs {
	__u64 regs[31];
	__u64 orig_x0;
	__s32 syscallno;
} __attribute__((preserve_access_index));
#define VIGIL_SYSCALL_NR(r) ((long)(r)->syscallno)
#define VIGIL_ARG0(r) ((r)->orig_x0)
#define VIGIL_ARG1(r) ((r)->regs[1])
#define VIGIL_ARG2(r) ((r)->regs[2])
#define VIGIL_ARG3(r) ((r)->regs[3])
#define VIGIL_UARG0(r) ((r)->regs[0])
#define VIGIL_UARG1(r) ((r)->regs[1])
#define VIGIL_UARG2(r) ((r)->regs[2])
#define VIGIL_UARG3(r) ((r)->regs[3])
#define VIGIL_URET(r) ((r)->regs[0])
#define VIGIL_GOARG0(r) ((r)->regs[0])
#define VIGIL_GOARG1(r) ((r)->regs[1])
#define VIGIL_GOARG2(r) ((r)->regs[2])
#define VIGIL_GOG(r) ((r)->regs[28])
#define VIGIL_NR_READ 63
#define VIGIL_NR_WRITE 64
#define VIGIL_NR_CLOSE 57
#define VIGIL_NR_READV 65
#define VIGIL_NR_WRITEV 66
#define VIGIL_NR_SENDFILE 71
#define VIGIL_NR_CONNECT 203
#define VIGIL_NR_ACCEPT 202
#define VIGIL_NR_SENDTO 206
#define VIGIL_NR_RECVFROM 207
#define VIGIL_NR_SENDMSG 211
#define VIGIL_NR_RECVMSG 212
#define VIGIL_NR_ACCEPT4 242
#define VIGIL_NR_RECVMMSG 243
#define VIGIL_NR_SENDMMSG 269
#else
#error "vigil's capture supports x86-64 and arm64"
#endif
