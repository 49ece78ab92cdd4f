/* cgroup-bpf DIR: the eBPF programs attached to the cgroup DIR (not inherited
 * ones), one line each: "<hook> <program name> id <id>". The integration tests use
 * it to see husk's published-port programs come and go without bpftool, which
 * Ubuntu does not package on its own. Exit 0 (even with none), 1 on an error. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
	enum bpf_attach_type type;
	const char *name;
} hooks[] = {
	{ BPF_CGROUP_INET4_CONNECT, "connect4" },
	{ BPF_CGROUP_INET6_CONNECT, "connect6" },
	{ BPF_CGROUP_UDP4_SENDMSG, "sendmsg4" },
	{ BPF_CGROUP_UDP4_RECVMSG, "recvmsg4" },
	{ BPF_CGROUP_INET4_GETPEERNAME, "getpeername4" },
	{ BPF_CGROUP_DEVICE, "device" },
};

static long bpf(int cmd, union bpf_attr *a)
{
	return syscall(SYS_bpf, cmd, a, sizeof *a);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: cgroup-bpf CGROUP_DIR\n");
		return 1;
	}
	int cg = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0) {
		fprintf(stderr, "cgroup-bpf: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (size_t h = 0; h < sizeof hooks / sizeof hooks[0]; h++) {
		uint32_t ids[256];
		union bpf_attr q;
		memset(&q, 0, sizeof q);
		q.query.target_fd = (uint32_t)cg;
		q.query.attach_type = hooks[h].type;
		q.query.prog_ids = (uint64_t)(uintptr_t)ids;
		q.query.prog_cnt = sizeof ids / sizeof ids[0];
		if (bpf(BPF_PROG_QUERY, &q) < 0) {
			if (errno == EINVAL) /* a hook this kernel does not have */
				continue;
			fprintf(stderr, "cgroup-bpf: query %s on %s: %s\n", hooks[h].name, argv[1],
				strerror(errno));
			return 1;
		}
		for (uint32_t i = 0; i < q.query.prog_cnt; i++) {
			union bpf_attr g;
			memset(&g, 0, sizeof g);
			g.prog_id = ids[i];
			int fd = (int)bpf(BPF_PROG_GET_FD_BY_ID, &g);
			struct bpf_prog_info info;
			memset(&info, 0, sizeof info);
			if (fd >= 0) {
				union bpf_attr o;
				memset(&o, 0, sizeof o);
				o.info.bpf_fd = (uint32_t)fd;
				o.info.info_len = sizeof info;
				o.info.info = (uint64_t)(uintptr_t)&info;
				bpf(BPF_OBJ_GET_INFO_BY_FD, &o);
				close(fd);
			}
			printf("%s %s id %u\n", hooks[h].name, info.name[0] ? info.name : "?", ids[i]);
		}
	}
	return 0;
}
