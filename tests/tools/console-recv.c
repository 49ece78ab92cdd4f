/* console-recv SOCKET [OUTFILE]: the engine's side of --console-socket, for the
 * tests. Listens on SOCKET, accepts one connection, reads ONE message and prints
 * "bytes=N fds=M tty=0|1" (what go-runc and conmon check: >= 1 data byte, exactly
 * one SCM_RIGHTS fd, a terminal). Then copies what the terminal says to OUTFILE
 * until EOF (the container's end closed). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: console-recv SOCKET [OUTFILE]\n");
		return 2;
	}
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", argv[1]);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	unlink(argv[1]);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(l, 1) < 0) {
		perror("console-recv: listen");
		return 1;
	}
	/* ready: the test waits for the socket file */
	int c = accept(l, NULL, NULL);
	if (c < 0) {
		perror("console-recv: accept");
		return 1;
	}
	char data[256], ctl[CMSG_SPACE(sizeof(int) * 8)];
	struct iovec iov = { data, sizeof data };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			     .msg_controllen = sizeof ctl };
	ssize_t n = recvmsg(c, &mh, 0);
	int fds = 0, fd = -1;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h))
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
			fds += (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(&fd, CMSG_DATA(h), sizeof fd);
		}
	printf("bytes=%zd fds=%d tty=%d\n", n, fds, fd >= 0 && isatty(fd));
	fflush(stdout);
	close(c);
	close(l);
	if (argc < 3 || fd < 0)
		return 0;
	int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	char buf[4096];
	while ((n = read(fd, buf, sizeof buf)) > 0)
		if (write(out, buf, (size_t)n) != n)
			break;
	return 0;
}
