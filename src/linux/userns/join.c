#include "linux/userns/join.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fs.h"

void userns_join_init(struct userns_join *j)
{
	memset(j, 0, sizeof *j);
	j->fd = -1;
}

void userns_join_close(struct userns_join *j)
{
	if (j->fd >= 0)
		close(j->fd);
	j->fd = -1;
}

static const char *nstype_name(int type)
{
	switch (type) {
	case CLONE_NEWNET: return "a network";
	case CLONE_NEWIPC: return "an IPC";
	case CLONE_NEWUTS: return "a UTS";
	case CLONE_NEWPID: return "a PID";
	case CLONE_NEWNS: return "a mount";
	case CLONE_NEWCGROUP: return "a cgroup";
	default: return "another kind of";
	}
}

/* nsfs says which kind a namespace file is (NS_GET_NSTYPE, Linux 4.11); an older
 * kernel's setns in read_maps() refuses a file of another kind (EINVAL) */
static int open_userns(const char *path, struct husk_err *err)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return husk_error(err, errno, "linux.namespaces: user namespace '%s'", path);
	int type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0 && errno != ENOTTY)
		return husk_error(err, errno, "linux.namespaces: '%s' (NS_GET_NSTYPE)", path);
	struct stat st, own;
	if (type < 0 && (fstat(fd, &st) < 0 || stat("/proc/self/ns/user", &own) < 0 ||
			 st.st_dev != own.st_dev))
		return husk_error(err, 0, "linux.namespaces: '%s' is not a user namespace (not a "
				  "namespace file at all)", path);
	if (type >= 0 && type != CLONE_NEWUSER)
		return husk_error(err, 0, "linux.namespaces: '%s' is not a user namespace (it is %s "
				  "namespace)", path, nstype_name(type));
	/* setns refuses the namespace one is in (EINVAL), and it would map nothing */
	if (fstat(fd, &st) == 0 && stat("/proc/self/ns/user", &own) == 0 &&
	    st.st_dev == own.st_dev && st.st_ino == own.st_ino)
		return husk_error(err, 0, "linux.namespaces: '%s' is husk's own user namespace: a "
				  "container joins another one, or has none in the list", path);
	int r = fd;
	fd = -1;
	return r;
}

static int read_map(pid_t pid, const char *file, struct id_map *m, struct husk_err *err)
{
	char path[64], buf[IDMAP_MAX * 36 + 64];
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	ssize_t n = read_file(path, buf, sizeof buf);
	if (n < 0)
		return husk_error(err, errno, "reading %s", path);
	if ((size_t)n >= sizeof buf - 1)
		return husk_error(err, E2BIG, "%s: more than %d ranges", path, IDMAP_MAX);
	memset(m, 0, sizeof *m);
	return idmap_parse_proc(buf, m, path, err);
}

/* The maps as the host sees them: /proc/PID/uid_map shows them relative to the
 * reader's namespace, so a child enters the namespace and the parent reads its
 * files. The child waits for EOF on the socket (the parent's end closed, or the
 * parent gone) and exits. */
static int read_maps(struct userns_join *j, struct husk_err *err)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return husk_error(err, errno, "socketpair");
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		int e = setns(j->fd, CLONE_NEWUSER) < 0 ? errno : 0;
		(void)!write(sv[1], &e, sizeof e);
		char c;
		while (read(sv[1], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(sv[1]);
	int e = -1, r = -1;
	if (pid < 0)
		husk_error(err, errno, "fork");
	else if (read(sv[0], &e, sizeof e) != sizeof e)
		husk_error(err, EIO, "linux.namespaces: looking into the user namespace '%s'", j->path);
	else if (e == EINVAL)
		husk_error(err, 0, "linux.namespaces: '%s' is not a user namespace", j->path);
	else if (e)
		husk_error(err, e, "linux.namespaces: joining the user namespace '%s'", j->path);
	else
		r = read_map(pid, "uid_map", &j->uids, err) || read_map(pid, "gid_map", &j->gids, err) ?
			    -1 : 0;
	close(sv[0]);
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return r;
}

/* The config's maps, when it gives them, must be the namespace's (runc: "non-matching
 * mapping specified"): a joined namespace keeps its own. */
static int check_config_maps(const struct userns_join *j, const struct oci_id_map *given,
			     size_t n, const struct id_map *actual, const char *key,
			     struct husk_err *err)
{
	if (!n)
		return 0;
	struct id_map want = { .n = 0 };
	for (size_t i = 0; i < n; i++)
		if (idmap_add(&want, given[i].container_id, given[i].host_id, given[i].size, err))
			return husk_error(err, 0, "%s[%zu]", key, i);
	if (idmap_equal(&want, actual))
		return 0;
	char w[IDMAP_MAX * 36 + 1], a[IDMAP_MAX * 36 + 1];
	idmap_format(&want, w, sizeof w);
	idmap_format(actual, a, sizeof a);
	for (char *p = w; (p = strchr(p, '\n')) && p[1]; p++)
		*p = ',';
	for (char *p = a; (p = strchr(p, '\n')) && p[1]; p++)
		*p = ',';
	w[strcspn(w, "\n")] = a[strcspn(a, "\n")] = '\0';
	return husk_error(err, 0, "linux.%s '%s' do not match the maps of the user namespace '%s' "
			  "('%s'): a joined namespace keeps its own", key, w, j->path, a);
}

int userns_join_prepare(struct userns_join *j, const struct husk_spec *s, struct husk_err *err)
{
	const struct oci_namespace *ns = spec_oci_namespace(&s->oci, CLONE_NEWUSER);
	if (!s->oci.active || !ns || !ns->path)
		return 0;
	j->path = ns->path;
	if ((j->fd = open_userns(ns->path, err)) < 0 || read_maps(j, err) ||
	    check_config_maps(j, s->oci.uid_mappings, s->oci.n_uid_mappings, &j->uids,
			      "uidMappings", err) ||
	    check_config_maps(j, s->oci.gid_mappings, s->oci.n_gid_mappings, &j->gids,
			      "gidMappings", err)) {
		userns_join_close(j);
		return -1;
	}
	return 0;
}
