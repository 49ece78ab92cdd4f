/* Unit tests for src/oci/config*.c: config.json -> struct husk_spec. The translation
 * is pure (it reads the text it is given), so every case is a string. */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <linux/mount.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "linux/cgroup/cgroup_path.h"
#include "oci/config.h"
#include "spec.h"

#include "check.h"

static const char *full =
	"{\"ociVersion\": \"1.0.2\",\n"
	" \"process\": {\"terminal\": true, \"consoleSize\": {\"height\": 25, \"width\": 80},\n"
	"   \"user\": {\"uid\": 1000, \"gid\": 1001, \"umask\": 18, \"additionalGids\": [5, 6]},\n"
	"   \"args\": [\"sh\", \"-c\", \"echo hi\"], \"env\": [\"PATH=/bin\", \"A=1\", \"A=2\"],\n"
	"   \"cwd\": \"/tmp\",\n"
	"   \"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_NET_ADMIN\"],\n"
	"                      \"effective\": [\"CAP_KILL\"], \"ambient\": []},\n"
	"   \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 512}],\n"
	"   \"noNewPrivileges\": true, \"oomScoreAdj\": -500},\n"
	" \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
	" \"hostname\": \"box\", \"domainname\": \"example.org\",\n"
	" \"mounts\": [\n"
	"   {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
	"   {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
	"    \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
	"   {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"vol\",\n"
	"    \"options\": [\"rbind\", \"ro\", \"rslave\"]}],\n"
	" \"hooks\": {\"prestart\": [{\"path\": \"/bin/true\", \"args\": [\"true\", \"x\"], \"timeout\": 5}]},\n"
	" \"annotations\": {\"a\": \"b\"},\n"
	" \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\", \"path\": \"/proc/1/ns/net\"},\n"
	"   {\"type\": \"mount\"}],\n"
	"   \"resources\": {\"memory\": {\"limit\": 104857600, \"swap\": 209715200},\n"
	"     \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"cpus\": \"0-1\"},\n"
	"     \"pids\": {\"limit\": 64},\n"
	"     \"devices\": [{\"allow\": false, \"access\": \"rwm\"},\n"
	"                 {\"allow\": true, \"type\": \"c\", \"major\": 1, \"minor\": 3, \"access\": \"rw\"}],\n"
	"     \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 1048576}],\n"
	"     \"unified\": {\"memory.high\": \"50000000\"}},\n"
	"   \"cgroupsPath\": \"/default/abc\", \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"},\n"
	"   \"devices\": [{\"path\": \"/dev/fuse\", \"type\": \"c\", \"major\": 10, \"minor\": 229, \"fileMode\": 438}],\n"
	"   \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]},\n"
	"   \"maskedPaths\": [\"/proc/kcore\"], \"readonlyPaths\": [\"/proc/sys\"],\n"
	"   \"rootfsPropagation\": \"rslave\"}}\n";

static int parse(const char *text, struct husk_spec *s, struct husk_err *e)
{
	spec_init(s);
	memset(e, 0, sizeof *e);
	return oci_config_parse(text, strlen(text), "B/config.json", "/bundle", s, e);
}

static void test_full(void)
{
	struct husk_spec s;
	struct husk_err e;
	CHECK(parse(full, &s, &e) == 0);
	if (e.set)
		fprintf(stderr, "  %s\n", e.msg);
	CHECK(s.oci.active);
	CHECK(s.argv && !strcmp(s.argv[0], "sh") && !strcmp(s.argv[2], "echo hi") && !s.argv[3]);
	CHECK(s.n_env == 2 && !strcmp(s.env[1], "A=2"));
	CHECK(s.workdir && !strcmp(s.workdir, "/tmp"));
	CHECK(s.tty && s.interactive && s.sec.no_new_privs);
	CHECK(s.oci.console_height == 25 && s.oci.console_width == 80);
	CHECK(s.oci.uid == 1000 && s.oci.gid == 1001 && s.oci.has_umask && s.oci.umask == 022);
	CHECK(s.oci.n_additional_gids == 2 && s.oci.additional_gids[1] == 6);
	CHECK(s.oci.has_caps && s.oci.caps[OCI_CAP_BOUNDING] == ((1ULL << 5) | (1ULL << 12)));
	CHECK(s.oci.caps[OCI_CAP_EFFECTIVE] == (1ULL << 5) && s.oci.caps[OCI_CAP_PERMITTED] == 0);
	CHECK(s.oci.n_rlimits == 1 && s.oci.rlimits[0].resource == RLIMIT_NOFILE &&
	      s.oci.rlimits[0].soft == 512 && s.oci.rlimits[0].hard == 1024);
	CHECK(s.oci.has_oom_score_adj && s.oci.oom_score_adj == -500);
	CHECK(s.rootfs && !strcmp(s.rootfs, "/bundle/rootfs") && s.readonly_root);
	CHECK(!strcmp(s.hostname, "box") && !strcmp(s.oci.domainname, "example.org"));
	CHECK(s.oci.n_mounts == 3);
	CHECK(!strcmp(s.oci.mounts[1].type, "tmpfs") &&
	      s.oci.mounts[1].flags == (MS_NOSUID | MS_STRICTATIME) &&
	      !strcmp(s.oci.mounts[1].data, "mode=755,size=65536k"));
	CHECK(s.oci.mounts[2].flags == (MS_BIND | MS_REC | MS_RDONLY) &&
	      s.oci.mounts[2].propagation == (MS_SLAVE | MS_REC) &&
	      !strcmp(s.oci.mounts[2].source, "/bundle/vol"));
	CHECK(s.oci.n_hooks[OCI_HOOK_PRESTART] == 1 &&
	      s.oci.hooks[OCI_HOOK_PRESTART][0].timeout == 5 &&
	      !strcmp(s.oci.hooks[OCI_HOOK_PRESTART][0].args[1], "x"));
	CHECK(s.oci.n_annotations == 1 && !strcmp(s.oci.annotations[0].value, "b"));
	CHECK(s.oci.n_namespaces == 3 && spec_oci_namespace(&s.oci, CLONE_NEWNET) &&
	      !strcmp(spec_oci_namespace(&s.oci, CLONE_NEWNET)->path, "/proc/1/ns/net") &&
	      !spec_oci_namespace(&s.oci, CLONE_NEWUTS));
	CHECK(s.net == NET_NONE);
	CHECK(s.res.memory == 104857600 && s.res.memory_swap == 209715200 && s.res.pids == 64);
	CHECK(s.oci.res.cpu_shares == 512 && s.oci.res.cpu_quota == 50000 &&
	      s.oci.res.cpu_period == 100000 && !strcmp(s.oci.res.cpus, "0-1"));
	CHECK(s.oci.res.n_devices == 2 && !s.oci.res.devices[0].allow &&
	      s.oci.res.devices[0].type == 'a' && s.oci.res.devices[0].major == -1 &&
	      s.oci.res.devices[1].type == 'c' && s.oci.res.devices[1].minor == 3 &&
	      !strcmp(s.oci.res.devices[1].access, "rw"));
	CHECK(s.oci.res.n_hugepages == 1 && !strcmp(s.oci.res.hugepages[0].value, "1048576"));
	CHECK(s.oci.res.n_unified == 1 && !strcmp(s.oci.res.unified[0].key, "memory.high"));
	CHECK(!strcmp(s.oci.cgroups_path, "/default/abc"));
	CHECK(s.oci.n_sysctl == 1 && !strcmp(s.oci.sysctl[0].key, "net.ipv4.ip_forward"));
	CHECK(s.oci.n_devices == 1 && s.oci.devices[0].major == 10 && s.oci.devices[0].mode == 0666);
	CHECK(s.oci.seccomp_json && strstr(s.oci.seccomp_json, "SCMP_ACT_ERRNO") &&
	      !s.sec.seccomp_unconfined);
	CHECK(s.oci.n_masked_paths == 1 && s.oci.n_readonly_paths == 1);
	CHECK(s.oci.rootfs_propagation == (MS_SLAVE | MS_REC));
	spec_free(&s);
}

static void test_minimal(void)
{
	struct husk_spec s;
	struct husk_err e;
	CHECK(parse("{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"/r\"},"
		    "\"process\":{\"args\":[\"/bin/true\"],\"cwd\":\"/\"}}", &s, &e) == 0);
	CHECK(s.net == NET_HOST && s.sec.seccomp_unconfined && !s.hostname[0]);
	/* no capabilities object: none at all */
	CHECK(s.oci.has_caps && !s.oci.caps[OCI_CAP_BOUNDING]);
	CHECK(!strcmp(s.rootfs, "/r") && s.oci.n_mounts == 0);
	spec_free(&s);
	/* a capability name libcap does not know is ignored (with a warning), as runc
	 * and crun do; the others are kept */
	CHECK(parse("{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"/r\"},"
		    "\"process\":{\"args\":[\"/bin/true\"],\"cwd\":\"/\",\"capabilities\":"
		    "{\"bounding\":[\"CAP_NOPE\",\"CAP_KILL\"]}}}", &s, &e) == 0);
	CHECK(s.oci.caps[OCI_CAP_BOUNDING] == (UINT64_C(1) << CAP_KILL));
	spec_free(&s);
	/* docker's blockIO.weight 0 means "not set" (runc skips it) */
	CHECK(parse("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"/r\"},"
		    "\"process\":{\"args\":[\"/bin/true\"],\"cwd\":\"/\"},"
		    "\"linux\":{\"resources\":{\"blockIO\":{\"weight\":0}}}}", &s, &e) == 0);
	CHECK(s.oci.res.blkio_weight == -1 && s.oci.res.blkio_leaf_weight == -1);
	spec_free(&s);
	/* and docker update's zeros for what it does not change */
	CHECK(parse("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"/r\"},"
		    "\"process\":{\"args\":[\"/bin/true\"],\"cwd\":\"/\"},"
		    "\"linux\":{\"resources\":{\"memory\":{\"limit\":67108864,\"reservation\":0,"
		    "\"kernel\":0,\"kernelTCP\":0},\"cpu\":{\"shares\":0,\"quota\":0,\"period\":0,"
		    "\"realtimeRuntime\":0,\"realtimePeriod\":0,\"cpus\":\"\",\"mems\":\"\"}}}}",
		    &s, &e) == 0);
	CHECK(s.res.memory == 67108864 && s.oci.res.memory_reservation == -1 &&
	      s.oci.res.kernel == -1 && s.oci.res.kernel_tcp == -1);
	CHECK(s.oci.res.cpu_quota == -1 && s.oci.res.cpu_period == -1 && s.oci.res.cpu_shares == -1 &&
	      s.oci.res.cpu_rt_runtime == -1 && s.oci.res.cpu_rt_period == -1 &&
	      !s.oci.res.cpus && !s.oci.res.mems);
	spec_free(&s);
	/* no hostname in the bundle: the UTS namespace keeps its own, and no HOSTNAME
	 * is added to the environment (a CRI pod's containers join the sandbox's) */
	CHECK(parse("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"/usr\"},"
		    "\"process\":{\"args\":[\"/bin/true\"],\"cwd\":\"/\"}}", &s, &e) == 0);
	snprintf(s.name, sizeof s.name, "ctr1");
	int vr = spec_validate(&s, &e);
	CHECK(vr == 0 && !s.hostname[0]);
	if (vr)
		fprintf(stderr, "  %s\n", e.msg);
	bool env_hostname = false;
	for (size_t i = 0; i < s.n_env; i++)
		env_hostname |= !strncmp(s.env[i], "HOSTNAME=", 9);
	CHECK(!env_hostname);
	spec_free(&s);
}

/* each bad input fails with one message naming the key (or the place) */
static void bad(const char *text, const char *want)
{
	struct husk_spec s;
	struct husk_err e;
	int r = parse(text, &s, &e);
	CHECK(r == -1 && strstr(e.msg, want));
	if (r != -1 || !strstr(e.msg, want))
		fprintf(stderr, "  want '%s', got '%s'\n", want, e.msg);
	spec_free(&s);
}

#define OK_HEAD "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"r\"},"
#define OK_PROC "\"process\":{\"args\":[\"/bin/true\"],\"cwd\":\"/\"}"

static void test_bad(void)
{
	bad("{\"ociVersion\": \"1.0.2\",\n  \"process\": {,}}", "line 2, column");
	bad("{\"ociVersion\": \"1.0.2\"", "unexpected end of input");
	bad("[1]", "expected a JSON object");
	bad("{\"root\":{\"path\":\"r\"}," OK_PROC "}", "ociVersion: missing");
	bad("{\"ociVersion\":\"2.0\",\"root\":{\"path\":\"r\"}," OK_PROC "}", "ociVersion");
	bad(OK_HEAD "\"process\":{\"args\":[],\"cwd\":\"/\"}}", "process.args");
	bad(OK_HEAD "\"process\":{\"args\":[1],\"cwd\":\"/\"}}", "process.args: element 0");
	bad(OK_HEAD "\"process\":{\"args\":[\"x\"],\"cwd\":\"rel\"}}", "process.cwd");
	bad(OK_HEAD "\"process\":{\"args\":[\"x\"],\"cwd\":\"/\",\"env\":[\"NOEQ\"]}}", "process.env");
	bad(OK_HEAD "\"process\":{\"args\":[\"x\"],\"cwd\":\"/\",\"user\":{\"uid\":-1}}}",
	    "process.user.uid");
	bad(OK_HEAD "\"process\":{\"args\":[\"x\"],\"cwd\":\"/\",\"rlimits\":"
		    "[{\"type\":\"RLIMIT_FOO\",\"soft\":1,\"hard\":1}]}}", "unknown type 'RLIMIT_FOO'");
	bad(OK_HEAD OK_PROC ",\"linux\":{\"namespaces\":[{\"type\":\"bogus\"}]}}",
	    "unknown namespace type 'bogus'");
	bad(OK_HEAD OK_PROC ",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}}",
	    "given twice");
	bad(OK_HEAD OK_PROC ",\"mounts\":[{\"destination\":\"rel\",\"type\":\"tmpfs\"}]}",
	    "destination 'rel' is not an absolute path");
	bad(OK_HEAD OK_PROC ",\"mounts\":[{\"destination\":\"/a/../..\",\"type\":\"tmpfs\"}]}",
	    "leaves the root");
	bad(OK_HEAD OK_PROC ",\"mounts\":[{\"destination\":\"/a\",\"type\":\"bind\"}]}",
	    "needs a source");
	bad("{\"ociVersion\":\"1.0.2\"," OK_PROC "}", "root.path: missing");
	bad(OK_HEAD OK_PROC ",\"linux\":{\"rootfsPropagation\":\"sideways\"}}", "rootfsPropagation");
	bad(OK_HEAD OK_PROC ",\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1\"}}}}",
	    "linux.resources.memory.limit");
	bad(OK_HEAD OK_PROC ",\"linux\":{\"cgroupsPath\":\"a/../../b\"}}", "cgroupsPath");
	bad(OK_HEAD OK_PROC ",\"linux\":{\"resources\":{\"blockIO\":{\"weight\":5}}}}",
	    "linux.resources.blockIO.weight: 5 is out of range");
	bad(OK_HEAD OK_PROC ",\"hooks\":{\"prestart\":[{\"path\":\"rel\"}]}}", "hooks.prestart[0]");
	bad(OK_HEAD OK_PROC ",\"linux\":{\"seccomp\":{}}}", "linux.seccomp.defaultAction");
	bad(OK_HEAD OK_PROC ",\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"c\"}]}}",
	    "needs major and minor");
}

static void cgpath(const char *in, bool systemd, const char *want)
{
	char out[512];
	struct husk_err e = { 0 };
	int r = cgroup_path_expand(in, systemd, "ID", out, sizeof out, &e);
	bool ok = want ? r == 0 && !strcmp(out, want) : r == -1;
	CHECK(ok);
	if (!ok)
		fprintf(stderr, "  '%s': want '%s', got '%s' (%s)\n", in ? in : "(null)",
			want ? want : "an error", r ? "" : out, e.msg);
}

static void test_cgroup_path(void)
{
	cgpath(NULL, false, "husk/ID");
	cgpath("", true, "husk/ID");
	cgpath("/default/abc", false, "default/abc");
	cgpath("a/b", false, "husk/a/b");
	cgpath("/", false, NULL);
	cgpath("system.slice:docker:abc", true, "system.slice/docker-abc.scope");
	cgpath(":libpod:abc", true, "system.slice/libpod-abc.scope");
	cgpath("machine.slice:libpod:abc", true, "machine.slice/libpod-abc.scope");
	cgpath("kubepods-besteffort-pod12.slice:cri-containerd:abc", true,
	       "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12.slice/"
	       "cri-containerd-abc.scope");
	cgpath("user.slice::abc", true, "user.slice/abc.scope");
	cgpath("-.slice:p:n", true, "p-n.scope");
	cgpath("system.slice:docker", true, NULL);
	cgpath("bad:docker:abc", true, NULL);
	cgpath("a--b.slice:docker:abc", true, NULL);
}

/* the recursive mount attributes: set and cleared words, the atime field as a whole,
 * the last word winning */
static void test_recursive_attrs(void)
{
	struct husk_spec s;
	struct husk_err e;
	CHECK(parse("{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"/r\"},"
		    "\"process\":{\"args\":[\"/bin/true\"],\"cwd\":\"/\"},\"mounts\":["
		    "{\"destination\":\"/a\",\"type\":\"bind\",\"source\":\"/x\",\"options\":"
		    "[\"rbind\",\"rro\",\"rnosuid\",\"rnoatime\",\"rexec\",\"rnodev\",\"rdev\"]},"
		    "{\"destination\":\"/b\",\"type\":\"bind\",\"source\":\"/x\",\"options\":"
		    "[\"rbind\",\"rro\",\"rrw\",\"ratime\"]}]}", &s, &e) == 0);
	CHECK(s.oci.n_mounts == 2);
	const struct oci_mount *a = &s.oci.mounts[0], *b = &s.oci.mounts[1];
	CHECK(a->rattr_set == (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOATIME));
	CHECK(a->rattr_clear == (MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NODEV | MOUNT_ATTR__ATIME));
	CHECK(b->rattr_set == 0 && b->rattr_clear == (MOUNT_ATTR_RDONLY | MOUNT_ATTR__ATIME));
	/* the recursive words are no filesystem data */
	CHECK(!a->data && !b->data);
	spec_free(&s);
}

int main(void)
{
	test_cgroup_path();
	test_full();
	test_minimal();
	test_bad();
	test_recursive_attrs();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
