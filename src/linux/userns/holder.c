#include "linux/userns/holder.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util/cleanup.h"
#include "util/fdpass.h"
#include "util/fs.h"
#include "util/parse.h"
#include "util/proctitle.h"

#define LINGER_DEFAULT 60
#define LINGER_MAX 86400
#define CHECK_EVERY 10 /* seconds between two looks for processes in the namespace */

int userns_holder_linger(long *seconds, struct husk_err *err)
{
	const char *v = getenv("HUSK_USERNS_LINGER");
	int64_t n = LINGER_DEFAULT;
	if (v && parse_int(v, 0, LINGER_MAX, &n) < 0)
		return husk_error(err, 0, "invalid HUSK_USERNS_LINGER '%s': expected seconds, 0 to %d "
				  "(0: no holder)", v, LINGER_MAX);
	*seconds = (long)n;
	return 0;
}

/* "\0husk-userns/EUID/HASH": one holder per user and maps (FNV-1a of their text) */
static socklen_t holder_addr(const struct id_map *uids, const struct id_map *gids,
			     struct sockaddr_un *a)
{
	char m[2 * (IDMAP_MAX * 36 + 1) + 1] = "";
	size_t off;
	idmap_format(uids, m, IDMAP_MAX * 36 + 1);
	off = strlen(m);
	m[off++] = '|';
	idmap_format(gids, m + off, sizeof m - off);
	uint64_t h = 14695981039346656037ULL;
	for (const char *p = m; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "husk-userns/%u/%016llx",
			 (unsigned)geteuid(), (unsigned long long)h);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Whether a process other than this one is in the namespace NS (its nsfs inode). A
 * process of another uid in it is readable: the holder has every capability there. */
static bool others_inside(const struct stat *ns)
{
	DIR *d = opendir("/proc");
	if (!d)
		return true; /* cannot tell: stay */
	bool found = false;
	pid_t self = getpid();
	struct dirent *de;
	while (!found && (de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]) || atoi(de->d_name) == self)
			continue;
		char p[sizeof de->d_name + 8];
		struct stat st;
		snprintf(p, sizeof p, "%s/ns/user", de->d_name);
		found = fstatat(dirfd(d), p, &st, 0) == 0 && st.st_ino == ns->st_ino &&
			st.st_dev == ns->st_dev;
	}
	closedir(d);
	return found;
}

/* One caller: its namespace, if the caller is the holder's own user (uid 0 here) */
static void holder_answer(int listen_fd, int ns_fd)
{
	int c = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	struct ucred peer;
	socklen_t pl = sizeof peer;
	char b = 'U';
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &peer, &pl) == 0 && peer.uid == getuid())
		(void)!fd_send(c, &b, 1, ns_fd);
	close(c);
}

static void holder_serve(int listen_fd, int ns_fd, long linger)
{
	struct stat ns;
	if (fstat(ns_fd, &ns) < 0)
		return;
	double busy = now_s();
	for (;;) {
		struct pollfd p = { .fd = listen_fd, .events = POLLIN };
		int every = linger < CHECK_EVERY ? (int)linger : CHECK_EVERY;
		int n = poll(&p, 1, every * 1000);
		if (n < 0 && errno != EINTR)
			return;
		if (n > 0) {
			holder_answer(listen_fd, ns_fd);
			busy = now_s();
		} else if (n == 0) {
			if (others_inside(&ns))
				busy = now_s();
			else if (now_s() - busy >= (double)linger)
				return;
		}
	}
}

/* The holder: a user namespace of its own, whose maps husk writes; then bound to the
 * name, detached (a session of its own, no fd of husk's, every signal as default),
 * serving until idle. */
static _Noreturn void holder_main(int sv, const struct sockaddr_un *a, socklen_t alen,
				  long linger)
{
	int msg = unshare(CLONE_NEWUSER) < 0 ? -errno : (int)getpid();
	write_all(sv, &msg, sizeof msg);
	char go;
	if (msg < 0 || read(sv, &go, 1) != 1 || go != 'G')
		_exit(1);
	int ns = open("/proc/self/ns/user", O_RDONLY | O_CLOEXEC);
	int l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	msg = ns < 0 || l < 0 || bind(l, (const struct sockaddr *)a, alen) < 0 || listen(l, 64) < 0 ?
		      -errno : 0;
	write_all(sv, &msg, sizeof msg);
	if (msg)
		_exit(1);
	setsid();
	if (chdir("/") < 0)
		_exit(1);
	/* the namespace to fd 3, the socket to 4, by way of fds above both */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC), ns_hi = fcntl(ns, F_DUPFD_CLOEXEC, 5),
	    l_hi = fcntl(l, F_DUPFD_CLOEXEC, 5);
	if (null < 0 || ns_hi < 0 || l_hi < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(null, 2) < 0 || dup3(ns_hi, 3, O_CLOEXEC) < 0 || dup3(l_hi, 4, O_CLOEXEC) < 0)
		_exit(1);
	close_range(5, ~0U, 0); /* husk's: its locks, the state dir, sv */
	sigset_t none;
	sigemptyset(&none);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_NAME, "husk-userns");
	proctitle_set("husk-userns");
	holder_serve(4, 3, linger);
	_exit(0);
}

/* Starts a holder (husk -> middle -> holder, which init or a subreaper adopts) and
 * writes its maps. 0 once it listens, or lost a race to another husk's holder. */
static int holder_spawn(const struct sockaddr_un *a, socklen_t alen, const struct id_map *uids,
			const struct id_map *gids, long linger, struct husk_err *err)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return husk_error(err, errno, "socketpair (the user namespace holder)");
	pid_t mid = fork();
	if (mid == 0) {
		close(sv[0]);
		pid_t h = fork();
		if (h == 0)
			holder_main(sv[1], a, alen, linger);
		_exit(h < 0);
	}
	close(sv[1]);
	cleanup_close int s = sv[0];
	if (mid < 0)
		return husk_error(err, errno, "fork (the user namespace holder)");
	while (waitpid(mid, NULL, 0) < 0 && errno == EINTR)
		;
	int msg = 0;
	if (read(s, &msg, sizeof msg) != (ssize_t)sizeof msg)
		return husk_error(err, EIO, "the user namespace holder did not start");
	if (msg < 0)
		return husk_error(err, -msg, "unshare(CLONE_NEWUSER) (the user namespace holder)");
	int r = idmap_write_helpers((pid_t)msg, uids, gids, err);
	char go = r == 0 ? 'G' : 'X';
	write_all(s, &go, 1);
	if (r)
		return -1;
	if (read(s, &msg, sizeof msg) != (ssize_t)sizeof msg)
		return husk_error(err, EIO, "the user namespace holder ended before it listened");
	if (msg < 0 && msg != -EADDRINUSE)
		return husk_error(err, -msg, "the user namespace holder @%s", a->sun_path + 1);
	return 0;
}

static bool maps_are(pid_t pid, const char *file, const struct id_map *want)
{
	char path[64], buf[IDMAP_MAX * 36 + 64];
	struct id_map m = { .n = 0 };
	struct husk_err ignored;
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	ssize_t n = read_file(path, buf, sizeof buf);
	return n > 0 && (size_t)n < sizeof buf - 1 && idmap_parse_proc(buf, &m, path, &ignored) == 0 &&
	       idmap_equal(&m, want);
}

/* 1 and *out: the holder's namespace; 0: nobody answers; -2: a holder not to use
 * (said once) */
static int holder_ask(const struct sockaddr_un *a, socklen_t alen, const struct id_map *uids,
		      const struct id_map *gids, int *out)
{
	cleanup_close int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0 || connect(s, (const struct sockaddr *)a, alen) < 0)
		return 0;
	struct ucred peer;
	socklen_t pl = sizeof peer;
	if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &peer, &pl) < 0)
		return 0;
	if (peer.uid != geteuid()) {
		husk_warn("warning: the user namespace holder @%s is uid %u's, not yours: not used (a new "
			  "user namespace per container)", a->sun_path + 1, (unsigned)peer.uid);
		return -2;
	}
	char b;
	int fd;
	if (fd_recv(s, &b, 1, &fd) != 1 || fd < 0) {
		if (fd >= 0)
			close(fd);
		return 0; /* it was ending */
	}
	uid_t owner = (uid_t)-1;
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWUSER || ioctl(fd, NS_GET_OWNER_UID, &owner) < 0 ||
	    owner != geteuid() || !maps_are(peer.pid, "uid_map", uids) ||
	    !maps_are(peer.pid, "gid_map", gids)) {
		close(fd);
		husk_warn("warning: the user namespace holder @%s (pid %d) does not have the maps asked "
			  "for: not used (a new user namespace per container)", a->sun_path + 1,
			  (int)peer.pid);
		return -2;
	}
	*out = fd;
	return 1;
}

int userns_holder_get(const struct id_map *uids, const struct id_map *gids, long linger,
		      struct husk_err *err)
{
	if (linger <= 0)
		return -2;
	struct sockaddr_un a;
	socklen_t alen = holder_addr(uids, gids, &a);
	for (int tries = 0; tries < 2; tries++) {
		int fd = -1, r = holder_ask(&a, alen, uids, gids, &fd);
		if (r == 1)
			return fd;
		if (r < 0)
			return r;
		if (tries == 0 && holder_spawn(&a, alen, uids, gids, linger, err) < 0)
			return -1;
	}
	husk_warn("warning: the user namespace holder @%s started but did not answer: not used",
		  a.sun_path + 1);
	return -2;
}
