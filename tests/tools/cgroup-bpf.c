/* cgroup-bpf DIR: the eBPF programs attached to the cgroup DIR (not inherited
 * ones), one line each: "<hook> <program name> id <id>".
 * cgroup-bpf --stats DIR: the same with "run_ns N runs N" (kernel.bpf_stats_enabled).
 * cgroup-bpf --maps: the host's eBPF maps whose name starts with husk_, one line
 * each: "map <name> id <id> entries <n>" (the published-port map and its revnat).
 * The integration tests use it to see husk's published-port programs and maps come
 * and go without bpftool, which Ubuntu does not package on its own. Exit 0 (even
 * with none), 1 on an error. */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdbool.h>
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
	{ BPF_CGROUP_UDP6_SENDMSG, "sendmsg6" },
	{ BPF_CGROUP_UDP6_RECVMSG, "recvmsg6" },
	{ BPF_CGROUP_INET4_GETPEERNAME, "getpeername4" },
	{ BPF_CGROUP_DEVICE, "device" },
};

static long bpf(int cmd, union bpf_attr *a)
{
	return syscall(SYS_bpf, cmd, a, sizeof *a);
}

/* the number of keys in the map fd (walked with GET_NEXT_KEY) */
static unsigned count_keys(int fd, uint32_t key_size)
{
	char key[64], next[64];
	unsigned n = 0;
	if (key_size > sizeof key)
		return 0;
	for (void *prev = NULL;; prev = key, n++) {
		union bpf_attr a;
		memset(&a, 0, sizeof a);
		a.map_fd = (uint32_t)fd;
		a.key = (uint64_t)(uintptr_t)prev;
		a.next_key = (uint64_t)(uintptr_t)next;
		if (bpf(BPF_MAP_GET_NEXT_KEY, &a) < 0)
			return n;
		memcpy(key, next, key_size);
	}
}

static int list_maps(void)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	while (bpf(BPF_MAP_GET_NEXT_ID, &a) == 0) {
		uint32_t id = a.next_id;
		union bpf_attr g;
		memset(&g, 0, sizeof g);
		g.map_id = id;
		int fd = (int)bpf(BPF_MAP_GET_FD_BY_ID, &g);
		if (fd >= 0) {
			struct bpf_map_info info;
			memset(&info, 0, sizeof info);
			union bpf_attr o;
			memset(&o, 0, sizeof o);
			o.info.bpf_fd = (uint32_t)fd;
			o.info.info_len = sizeof info;
			o.info.info = (uint64_t)(uintptr_t)&info;
			if (bpf(BPF_OBJ_GET_INFO_BY_FD, &o) == 0 && !strncmp(info.name, "husk_", 5))
				printf("map %s id %u entries %u\n", info.name, id,
				       count_keys(fd, info.key_size));
			close(fd);
		}
		memset(&a, 0, sizeof a);
		a.start_id = id;
	}
	return errno == ENOENT ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "--maps"))
		return list_maps();
	/* --stats: each line also gets "run_ns N runs N" (kernel.bpf_stats_enabled=1) */
	bool stats = argc == 3 && !strcmp(argv[1], "--stats");
	if (stats) {
		argv++;
		argc--;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: cgroup-bpf [--stats] CGROUP_DIR | --maps\n");
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
			printf("%s %s id %u", hooks[h].name, info.name[0] ? info.name : "?", ids[i]);
			if (stats)
				printf(" run_ns %llu runs %llu", (unsigned long long)info.run_time_ns,
				       (unsigned long long)info.run_cnt);
			printf("\n");
		}
	}
	return 0;
}
