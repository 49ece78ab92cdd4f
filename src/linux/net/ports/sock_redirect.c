/* The host's published-port redirect (see sock_redirect.h): the shared programs
 * and maps, found by the ids in IPAM_DIR/redirect or created, and this husk's map
 * entries, noted in its lease before they are added. The programs themselves are
 * in redirect_progs.c.
 *
 *   IPAM_DIR/redirect   "cookie C map M revnat R links L1 .. L5"
 *   lease line          "bpf tcp v4 any 8080 10.89.0.5 80" (v4 any = 127.0.0.0/8,
 *                        v4 127.0.0.2, v6 ::1) */
#include "linux/net/ports/sock_redirect.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "linux/ebpf.h"
#include "linux/net/ipam.h"
#include "linux/net/ports/redirect_progs.h"
#include "util/cleanup.h"
#include "util/explain.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define IDS_FILE "redirect"

/* the fds of the host's set, held by this husk */
struct shared {
	int map, revnat;
	int links[REDIRECT_HOOKS];
};

struct entry {
	struct redirect_key k;
	struct redirect_val v;
};

struct sock_redirect {
	struct shared sh;
	size_t n;
	struct entry e[];
};

static const char *const cgroup2_roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };

static const char *cgroup2_root(void)
{
	struct statfs fs;
	for (size_t i = 0; i < ARRAY_SIZE(cgroup2_roots); i++)
		if (statfs(cgroup2_roots[i], &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
			return cgroup2_roots[i];
	return NULL;
}

/* The cookie of husk's network namespace (Linux 5.14), 0 if the kernel has none. */
static uint64_t netns_cookie(void)
{
	cleanup_close int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint64_t cookie = 0;
	socklen_t len = sizeof cookie;
	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0)
		return 0;
	return cookie;
}

bool sock_redirect_supported(char *why, size_t len)
{
	const char *root = cgroup2_root();
	const char *msg = !root ? "no cgroup2 mount to attach to"
			  : !netns_cookie() ? "the kernel has no network-namespace cookies (Linux < 5.14)"
					    : NULL;
	if (why)
		snprintf(why, len, "%s", msg ? msg : root);
	return !msg;
}

/* The map keys that serve p (0, 1 or 2): all addresses -> 127.0.0.0/8 and [::1];
 * 0.0.0.0 -> 127.0.0.0/8; 127.x.y.z -> itself; ::1 -> [::1]. */
static size_t port_keys(const struct port_map *p, struct redirect_key k[2])
{
	struct in_addr a;
	struct redirect_key base = { .port = htons(p->host_port), .proto = (uint8_t)p->proto,
				     .family = 4 };
	k[0] = k[1] = base;
	const char *ip = p->host_ip;
	if (!ip[0] || !strcmp(ip, "::")) {
		k[1].family = 6;
		return 2;
	}
	if (!strcmp(ip, "0.0.0.0"))
		return 1;
	if (!strcmp(ip, "::1")) {
		k[0].family = 6;
		return 1;
	}
	if (inet_pton(AF_INET, ip, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127) {
		k[0].ip = a.s_addr;
		return 1;
	}
	return 0;
}

bool sock_redirect_serves(const struct port_map *p, char *why, size_t len)
{
	struct redirect_key k[2];
	size_t n = port_keys(p, k);
	if (why) {
		char ip[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &k[0].ip, ip, sizeof ip);
		snprintf(why, len, "%s", n == 2 ? "127.0.0.0/8, ::ffff:127.0.0.0/104 and [::1]"
					: n == 0 ? "not a loopback address"
					: k[0].family == 6 ? "[::1]"
					: k[0].ip ? ip : "127.0.0.0/8 and ::ffff:127.0.0.0/104");
	}
	return n > 0;
}

static void key_format(const struct redirect_key *k, const struct redirect_val *v, char *buf,
		       size_t len)
{
	char ip[INET_ADDRSTRLEN] = "any", ctr[INET_ADDRSTRLEN];
	if (k->family == 6)
		snprintf(ip, sizeof ip, "::1");
	else if (k->ip)
		inet_ntop(AF_INET, &k->ip, ip, sizeof ip);
	inet_ntop(AF_INET, &v->ip, ctr, sizeof ctr);
	snprintf(buf, len, "%s v%u %s %u %s %u", k->proto == IPPROTO_UDP ? "udp" : "tcp", k->family,
		 ip, ntohs(k->port), ctr, ntohs((uint16_t)v->port));
}

static int key_parse(const char *s, struct redirect_key *k, struct redirect_val *v)
{
	char proto[4], ip[40], ctr[INET_ADDRSTRLEN];
	unsigned fam, port, cport;
	struct in_addr a;
	memset(k, 0, sizeof *k);
	memset(v, 0, sizeof *v);
	if (sscanf(s, "%3s v%u %39s %u %15s %u", proto, &fam, ip, &port, ctr, &cport) != 6 ||
	    (fam != 4 && fam != 6) || port > 65535 || cport > 65535 ||
	    inet_pton(AF_INET, ctr, &a) != 1)
		return -1;
	k->proto = !strcmp(proto, "udp") ? IPPROTO_UDP : IPPROTO_TCP;
	k->family = (uint8_t)fam;
	k->port = htons((uint16_t)port);
	v->ip = a.s_addr;
	v->port = htons((uint16_t)cport);
	if (fam == 4 && strcmp(ip, "any") && inet_pton(AF_INET, ip, &k->ip) != 1)
		return -1;
	return 0;
}

static void shared_close(struct shared *sh)
{
	if (sh->map >= 0)
		close(sh->map);
	if (sh->revnat >= 0)
		close(sh->revnat);
	for (size_t i = 0; i < REDIRECT_HOOKS; i++)
		if (sh->links[i] >= 0)
			close(sh->links[i]);
	memset(sh, 0xff, sizeof *sh); /* all -1 */
}

/* The ids in the file, read back; -1 if there is none or it is damaged. */
static int ids_read(uint64_t *cookie, uint32_t *map, uint32_t *revnat, uint32_t links[])
{
	char buf[256];
	ssize_t n = ipam_file_read(IDS_FILE, buf, sizeof buf - 1);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	int r = sscanf(buf, "cookie %" SCNu64 " map %" SCNu32 " revnat %" SCNu32
			    " links %" SCNu32 " %" SCNu32 " %" SCNu32 " %" SCNu32 " %" SCNu32,
		       cookie, map, revnat, &links[0], &links[1], &links[2], &links[3], &links[4]);
	return r == 3 + REDIRECT_HOOKS ? 0 : -1;
}

/* The map of id, if it is still husk's map of that name. */
static int map_open(uint32_t id, const char *name)
{
	int fd = ebpf_map_by_id(id);
	struct bpf_map_info info;
	if (fd >= 0 && (ebpf_obj_info(fd, &info, sizeof info) || strcmp(info.name, name))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The link of id, if it is still a cgroup link of that hook. */
static int link_open(uint32_t id, enum bpf_attach_type type)
{
	int fd = ebpf_link_by_id(id);
	struct bpf_link_info info;
	if (fd >= 0 && (ebpf_obj_info(fd, &info, sizeof info) ||
			info.type != BPF_LINK_TYPE_CGROUP || info.cgroup.attach_type != type)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* With the IPAM lock: the set another husk made, while one still holds it. */
static int shared_join(struct shared *sh, uint64_t cookie)
{
	uint64_t c;
	uint32_t map, revnat, links[REDIRECT_HOOKS];
	if (ids_read(&c, &map, &revnat, links) || c != cookie)
		return -1;
	sh->map = map_open(map, REDIRECT_MAP_NAME);
	sh->revnat = map_open(revnat, REVNAT_MAP_NAME);
	bool ok = sh->map >= 0 && sh->revnat >= 0;
	for (size_t i = 0; i < REDIRECT_HOOKS && ok; i++) {
		sh->links[i] = link_open(links[i], redirect_hooks[i].type);
		ok = sh->links[i] >= 0;
	}
	if (!ok)
		shared_close(sh);
	return ok ? 0 : -1;
}

static uint32_t obj_id(int fd, bool link)
{
	struct bpf_link_info li;
	struct bpf_map_info mi;
	if (link)
		return ebpf_obj_info(fd, &li, sizeof li) ? 0 : li.id;
	return ebpf_obj_info(fd, &mi, sizeof mi) ? 0 : mi.id;
}

static int ids_write(const struct shared *sh, uint64_t cookie)
{
	char buf[256];
	int n = snprintf(buf, sizeof buf, "cookie %" PRIu64 " map %u revnat %u links", cookie,
			 obj_id(sh->map, false), obj_id(sh->revnat, false));
	for (size_t i = 0; i < REDIRECT_HOOKS; i++)
		n += snprintf(buf + n, sizeof buf - (size_t)n, " %u", obj_id(sh->links[i], true));
	snprintf(buf + n, sizeof buf - (size_t)n, "\n");
	return ipam_file_write(IDS_FILE, buf);
}

static int attach(int cg, int prog, enum bpf_attach_type type)
{
	union bpf_attr a;
	memset(&a, 0, sizeof a);
	a.link_create.prog_fd = (uint32_t)prog;
	a.link_create.target_fd = (uint32_t)cg;
	a.link_create.attach_type = type;
	return (int)syscall(SYS_bpf, BPF_LINK_CREATE, &a, sizeof a);
}

/* With the IPAM lock: the maps and the six programs, attached to root. */
static int shared_create(struct shared *sh, const char *root, uint64_t cookie,
			 struct husk_err *err)
{
	cleanup_close int cg = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		return husk_error(err, errno, "%s", root);
	sh->map = ebpf_map_create(BPF_MAP_TYPE_HASH, REDIRECT_MAP_NAME, sizeof(struct redirect_key),
				  sizeof(struct redirect_val), REDIRECT_MAX_ENTRIES);
	sh->revnat = sh->map < 0 ? -1
		     : ebpf_map_create(BPF_MAP_TYPE_LRU_HASH, REVNAT_MAP_NAME,
				       sizeof(struct revnat_key), sizeof(struct revnat_val),
				       REVNAT_MAX_ENTRIES);
	if (sh->revnat < 0)
		return husk_error(err, errno, "published ports: creating the eBPF maps");
	for (size_t i = 0; i < REDIRECT_HOOKS; i++) {
		cleanup_close int prog = redirect_prog_load(i, sh->map, sh->revnat, cookie, err);
		if (prog < 0)
			return -1;
		sh->links[i] = attach(cg, prog, redirect_hooks[i].type);
		if (sh->links[i] < 0)
			return husk_error(err, errno, "published ports: attaching the eBPF %s "
					  "program to %s", redirect_hooks[i].name, root);
	}
	if (ids_write(sh, cookie) < 0)
		return husk_error(err, errno, "published ports: writing %s/" IDS_FILE, IPAM_DIR);
	return 0;
}

/* The host's set, joined or made: 0, or 1 (this host cannot: why in err). */
static int shared_get(struct shared *sh, struct husk_err *err)
{
	EXPLAIN_START(t);
	const char *root = cgroup2_root();
	uint64_t cookie = netns_cookie();
	if (!root || !cookie) {
		char why[128];
		sock_redirect_supported(why, sizeof why);
		husk_error(err, 0, "%s", why);
		return 1;
	}
	int lock = ipam_lock(true);
	if (lock < 0) {
		husk_error(err, errno, "published ports: locking %s/lock", IPAM_DIR);
		return 1;
	}
	bool joined = shared_join(sh, cookie) == 0;
	int r = joined ? 0 : shared_create(sh, root, cookie, err) ? 1 : 0;
	ipam_unlock(lock);
	if (r)
		shared_close(sh);
	else if (joined)
		EXPLAIN(t, "# the host's published-port programs on %s (connect4/6, sendmsg4, "
			   "recvmsg4/6) and map " REDIRECT_MAP_NAME ": held by this husk too", root);
	else
		EXPLAIN(t, "bpftool map create name " REDIRECT_MAP_NAME " type hash; bpftool cgroup "
			   "attach %s connect4|sendmsg4|recvmsg4|connect6|recvmsg6 "
			   "<one program each, for the whole host>   # held by every publishing "
			   "husk, detached with the last; route_localnet stays 0", root);
	return r;
}

/* "bpftool map update name husk_ports key <127.0.0.0/8:8080/tcp> value <10.89.0.2:80>" */
static void explain_entry(uint64_t t, const struct entry *e)
{
	char from[INET_ADDRSTRLEN + 2] = "127.0.0.0/8", ctr[INET_ADDRSTRLEN];
	if (e->k.family == 6)
		snprintf(from, sizeof from, "[::1]");
	else if (e->k.ip)
		inet_ntop(AF_INET, &e->k.ip, from, sizeof from);
	inet_ntop(AF_INET, &e->v.ip, ctr, sizeof ctr);
	explain_line(t, "bpftool map update name " REDIRECT_MAP_NAME " key <%s:%u/%s> value "
		     "<%s:%u>", from, ntohs(e->k.port), e->k.proto == IPPROTO_UDP ? "udp" : "tcp",
		     ctr, ntohs((uint16_t)e->v.port));
}

/* Each entry noted in the lease first: if husk dies now, the next husk deletes it.
 * An entry already there is a dead husk's (this one holds the port): replaced. */
static int add_entries(struct sock_redirect *r, const struct husk_spec *s, uint32_t ctr,
		       int lease_fd, struct husk_err *err)
{
	EXPLAIN_START(t);
	for (size_t i = 0; i < s->n_ports; i++) {
		struct redirect_key k[2];
		size_t n = port_keys(&s->ports[i], k);
		for (size_t j = 0; j < n; j++) {
			struct entry *e = &r->e[r->n];
			char note[128] = "bpf ";
			e->k = k[j];
			e->v = (struct redirect_val){ .ip = ctr, .port = htons(s->ports[i].ctr_port) };
			key_format(&e->k, &e->v, note + 4, sizeof note - 4);
			if (ipam_note(lease_fd, note) < 0)
				return husk_error(err, errno, "network: recording a published "
						  "port in the lease");
			if (ebpf_map_update(r->sh.map, &e->k, &e->v, BPF_ANY) < 0)
				return husk_error(err, errno, "published ports: adding %s to "
						  "the eBPF map", note + 4);
			r->n++;
			if (explain_enabled)
				explain_entry(t, e);
			t = explain_now();
		}
	}
	return 0;
}

int sock_redirect_start(struct sock_redirect **out, const struct husk_spec *s,
			uint32_t ctr_addr, int lease_fd, struct husk_err *err)
{
	struct sock_redirect *r = calloc(1, sizeof *r + 2 * s->n_ports * sizeof r->e[0]);
	if (!r)
		return husk_error(err, ENOMEM, "--publish");
	memset(&r->sh, 0xff, sizeof r->sh);
	*out = r;
	int got = shared_get(&r->sh, err);
	if (got)
		return got;
	return add_entries(r, s, htonl(ctr_addr), lease_fd, err);
}

/* The entry, if it still leads to v (a later husk may have replaced it). */
static void entry_delete(int map, const struct redirect_key *k, const struct redirect_val *v)
{
	struct redirect_val cur;
	if (ebpf_map_lookup(map, k, &cur) == 0 && cur.ip == v->ip && cur.port == v->port)
		ebpf_map_delete(map, k);
}

/* The last holder out: the ids in the file now name nothing; the file goes too. */
static void forget_if_gone(void)
{
	uint64_t c;
	uint32_t map, revnat, links[REDIRECT_HOOKS];
	int lock = ipam_lock(false);
	if (lock < 0)
		return;
	if (ids_read(&c, &map, &revnat, links) == 0) {
		/* a link's id goes when its last fd closes (a map's after a grace period) */
		int fd = link_open(links[0], redirect_hooks[0].type);
		if (fd < 0)
			ipam_file_remove(IDS_FILE);
		else
			close(fd);
	}
	ipam_unlock(lock);
}

void sock_redirect_stop(struct sock_redirect **rp)
{
	struct sock_redirect *r = *rp;
	if (!r)
		return;
	EXPLAIN_START(t);
	for (size_t i = 0; i < r->n; i++)
		entry_delete(r->sh.map, &r->e[i].k, &r->e[i].v);
	bool held = r->sh.map >= 0;
	shared_close(&r->sh);
	if (held)
		forget_if_gone();
	if (held)
		EXPLAIN(t, "bpftool map delete name " REDIRECT_MAP_NAME " (%zu entries); close the "
			   "links   # the kernel detaches the programs when the last husk does", r->n);
	free(r);
	*rp = NULL;
}

bool sock_redirect_reclaim(const char *line)
{
	struct redirect_key k;
	struct redirect_val v;
	if (strncmp(line, "bpf ", 4))
		return false;
	uint64_t c;
	uint32_t map, revnat, links[REDIRECT_HOOKS];
	if (key_parse(line + 4, &k, &v) || ids_read(&c, &map, &revnat, links))
		return true;
	cleanup_close int fd = map_open(map, REDIRECT_MAP_NAME);
	if (fd >= 0) /* else the set went with its last holder, and the entry with it */
		entry_delete(fd, &k, &v);
	return true;
}

void sock_redirect_describe(char *buf, size_t len)
{
	uint64_t c;
	uint32_t map, revnat, links[REDIRECT_HOOKS];
	cleanup_close int fd = ids_read(&c, &map, &revnat, links) ? -1
			       : map_open(map, REDIRECT_MAP_NAME);
	if (fd < 0) {
		snprintf(buf, len, "no published port on the redirect now");
		return;
	}
	size_t n = 0;
	struct redirect_key k, next;
	const void *prev = NULL;
	union bpf_attr a;
	for (;; prev = &k, n++) {
		memset(&a, 0, sizeof a);
		a.map_fd = (uint32_t)fd;
		a.key = (uint64_t)(uintptr_t)prev;
		a.next_key = (uint64_t)(uintptr_t)&next;
		if (syscall(SYS_bpf, BPF_MAP_GET_NEXT_KEY, &a, sizeof a) < 0)
			break;
		k = next;
	}
	snprintf(buf, len, "map " REDIRECT_MAP_NAME " id %u: %zu entr%s", map, n,
		 n == 1 ? "y" : "ies");
}
