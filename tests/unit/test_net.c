/* Unit tests for the bridge's subnet rules (src/linux/net/ipam.c) and the published-
 * port programs (src/linux/net/ports/redirect_progs.c): as root, each of the five is
 * loaded, so that the kernel's verifier accepts what the generator writes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "linux/ebpf.h"
#include "linux/net/ipam.h"
#include "linux/net/ports/redirect_progs.h"

#include "check.h"

static const char *refused(const char *s)
{
	struct subnet sn;
	if (subnet_parse(s, &sn))
		return "malformed";
	return subnet_refused(&sn);
}

static void test_subnets(void)
{
	struct subnet sn;
	CHECK(subnet_parse(HUSK_DEFAULT_SUBNET, &sn) == 0 && sn.prefix == 16);
	CHECK(refused(HUSK_DEFAULT_SUBNET) == NULL);
	CHECK(refused("10.89.0.0/24") == NULL);
	CHECK(refused("172.30.0.0/16") == NULL);
	CHECK(refused("192.168.100.0/24") == NULL);
	CHECK(refused("127.0.0.0/16") && strstr(refused("127.0.0.0/16"), "loopback"));
	CHECK(refused("127.255.0.0/16") && strstr(refused("127.255.0.0/16"), "loopback"));
	CHECK(refused("169.254.0.0/16") && strstr(refused("169.254.0.0/16"), "link-local"));
	CHECK(refused("169.254.10.0/24") && strstr(refused("169.254.10.0/24"), "link-local"));
	CHECK(refused("224.0.0.0/16") && strstr(refused("224.0.0.0/16"), "multicast"));
	CHECK(refused("239.255.255.0/24") && strstr(refused("239.255.255.0/24"), "multicast"));
	CHECK(refused("240.0.0.0/16") != NULL);
	CHECK(refused("255.255.0.0/16") != NULL);
	CHECK(refused("0.0.0.0/16") != NULL);
	CHECK(refused("169.253.0.0/16") == NULL);
	CHECK(refused("223.255.0.0/16") == NULL);
	CHECK(refused("126.0.0.0/16") == NULL && refused("128.0.0.0/16") == NULL);
	CHECK(!strcmp(refused("10.89.0.0/15"), "malformed"));
}

static void test_programs(void)
{
	if (geteuid() != 0) {
		printf("redirect programs: skipped (not root)\n");
		return;
	}
	int map = ebpf_map_create(BPF_MAP_TYPE_HASH, REDIRECT_MAP_NAME, sizeof(struct redirect_key),
				  sizeof(struct redirect_val), 16);
	int revnat = ebpf_map_create(BPF_MAP_TYPE_LRU_HASH, REVNAT_MAP_NAME,
				     sizeof(struct revnat_key), sizeof(struct revnat_val), 16);
	if (map < 0 || revnat < 0) {
		printf("redirect programs: skipped (no eBPF maps here: %s)\n", strerror(errno));
		return;
	}
	for (size_t i = 0; i < REDIRECT_HOOKS; i++) {
		struct husk_err err = { 0 };
		int fd = redirect_prog_load(i, map, revnat, 1, &err);
		if (fd < 0)
			fprintf(stderr, "%s: %s\n", redirect_hooks[i].name, err.msg);
		CHECK(fd >= 0);
		if (fd >= 0)
			close(fd);
	}
	close(map);
	close(revnat);
}

int main(void)
{
	test_subnets();
	test_programs();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
