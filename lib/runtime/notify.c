/* The notify socket: server (credential-checked datagrams) and client. */
#include "runtime/notify.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"

#define DATAGRAMS_PER_WAKEUP 64 /* then yield to the other events */
#define MAX_FDS 253             /* SCM_MAX_FD: what a sender may attach */

/* A datagram kept while the server holds (bpci__notify_server_hold). */
typedef struct held {
	pid_t pid;
	size_t len;
	char *text;
} held;

struct bpci__notify_server {
	int fd;
	int abstract;
	char *address;
	struct event *ev;
	bpci__notify_cb cb;
	void *payload;
	uint64_t dropped;
	int hold;
	held *held;
	size_t nheld, capheld, next_held; /* next_held: the next to deliver */
};

/* Keep @len bytes of @buf from @pid for later; 0, or -1 (no memory: the
 * caller delivers it now). */
static int keep(bpci__notify_server *s, pid_t pid, const char *buf, size_t len)
{
	char *text;

	if (s->nheld == s->capheld &&
	    bpci__grow((void **)&s->held, &s->capheld, s->nheld + 1, sizeof(*s->held)) < 0)
		return -1;
	text = bpci__malloc(len + 1);
	if (!text)
		return -1;
	memcpy(text, buf, len);
	text[len] = '\0';
	s->held[s->nheld].pid = pid;
	s->held[s->nheld].len = len;
	s->held[s->nheld].text = text;
	s->nheld++;
	return 0;
}

/* "@name" is abstract (leading NUL, no terminator counted); else a path. */
static int make_addr(const char *address, struct sockaddr_un *sa, socklen_t *len)
{
	size_t n = address ? strlen(address) : 0;

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (n == 0 || (address[0] == '@' && n == 1) || n >= sizeof(sa->sun_path))
		return BPCI_EINVAL;
	memcpy(sa->sun_path, address, n);
	if (address[0] == '@') {
		sa->sun_path[0] = '\0';
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	} else {
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	}
	return 0;
}

/* Walk the control messages: close passed descriptors, find the sender. */
static pid_t take_cmsgs(struct msghdr *mh)
{
	struct cmsghdr *c;
	pid_t pid = 0;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			struct ucred cred;

			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			pid = cred.pid;
		} else if (c->cmsg_type == SCM_RIGHTS) {
			size_t i, n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (i = 0; i < n; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				close(fd);
			}
		}
	}
	return pid;
}

/* Receive one datagram. Returns 1 (handled or dropped), 0 (queue empty). */
static int receive_one(bpci__notify_server *s)
{
	char buf[BPCI__NOTIFY_MAX + 2]; /* one byte to detect oversize, one NUL */
	union {
		struct cmsghdr align;
		char space[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(MAX_FDS * sizeof(int))];
	} ctl;
	struct iovec iov = {buf, BPCI__NOTIFY_MAX + 1};
	struct msghdr mh;
	bpci__notify_msg msg;
	ssize_t n;
	pid_t pid;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.space;
	mh.msg_controllen = sizeof(ctl.space);
	do
		n = recvmsg(s->fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return 0; /* EAGAIN, or an error the next wakeup will see again */
	pid = take_cmsgs(&mh);
	if (s->hold && pid > 0 && !(mh.msg_flags & MSG_TRUNC) && n <= BPCI__NOTIFY_MAX &&
	    keep(s, pid, buf, (size_t)n) == 0)
		return 1;
	if (pid <= 0 || (mh.msg_flags & MSG_TRUNC) || n > BPCI__NOTIFY_MAX ||
	    bpci__notify_parse(&msg, buf, (size_t)n) < 0) {
		s->dropped++;
		return 1;
	}
	if (msg.present)
		s->cb(pid, &msg, s->payload);
	return 1;
}

static void free_held(bpci__notify_server *s);

/* Deliver up to @max kept datagrams; returns how many were delivered. */
static int deliver_held(bpci__notify_server *s, int max)
{
	bpci__notify_msg msg;
	int i;

	for (i = 0; i < max && s->next_held < s->nheld; i++) {
		held *h = &s->held[s->next_held++];

		if (bpci__notify_parse(&msg, h->text, h->len) < 0)
			s->dropped++;
		else if (msg.present)
			s->cb(h->pid, &msg, s->payload);
	}
	if (s->next_held == s->nheld)
		free_held(s);
	return i;
}

/* Kept datagrams go first, DATAGRAMS_PER_WAKEUP at a time like the
 * socket's, so that a thousand READY=1 are handled over a few loop
 * iterations (each one's state write) and not in one. */
static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	bpci__notify_server *s = arg;
	int i = 0;

	(void)fd;
	(void)what;
	if (!s->hold && s->nheld) {
		i = deliver_held(s, DATAGRAMS_PER_WAKEUP);
		if (s->nheld) {
			event_active(s->ev, EV_READ, 0);
			return;
		}
	}
	for (; i < DATAGRAMS_PER_WAKEUP && receive_one(s); i++)
		;
}

/* A leftover socket file from an earlier run is replaced; a regular file
 * or anything else there is not ours to delete. */
static int clear_path(const char *path, bpci_diag *diag)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EEXISTS, "notify_socket",
				      "%s exists and is not a socket", path);
	if (unlink(path) < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "notify_socket",
				      "cannot remove stale socket %s: %s", path, strerror(errno));
	return 0;
}

static int open_socket(bpci__notify_server *s, bpci_diag *diag)
{
	struct sockaddr_un sa;
	socklen_t len;
	int one = 1, rcvbuf = 1 << 20, rc;

	if (make_addr(s->address, &sa, &len) < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "notify_socket",
				      "must be a path or @name of 1..%zu bytes, got \"%s\"",
				      sizeof(sa.sun_path) - 1, s->address);
	if (!s->abstract && (rc = clear_path(s->address, diag)) < 0)
		return rc;
	s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->fd < 0 || setsockopt(s->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "notify_socket",
				      "socket: %s", strerror(errno));
	(void)setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(s->fd, (struct sockaddr *)&sa, len) < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR,
				      errno == EADDRINUSE ? BPCI_EBUSY : BPCI_EIO,
				      "notify_socket", "cannot bind %s: %s", s->address,
				      strerror(errno));
	return 0;
}

int bpci__notify_server_new(bpci__notify_server **out, struct event_base *base,
			    const char *address, bpci__notify_cb cb, void *payload,
			    bpci_diag *diag)
{
	bpci__notify_server *s;
	int rc;

	*out = NULL;
	if (!base || !cb || !address)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "notify_socket",
				      "an event base, an address and a callback are required");
	s = bpci__calloc(1, sizeof(*s));
	if (!s)
		return BPCI_ENOMEM;
	s->fd = -1;
	s->cb = cb;
	s->payload = payload;
	s->abstract = address[0] == '@';
	s->address = bpci__strdup(address);
	if (!s->address) {
		bpci__free(s);
		return BPCI_ENOMEM;
	}
	if ((rc = open_socket(s, diag)) < 0) {
		if (s->fd >= 0)
			close(s->fd);
		bpci__free(s->address);
		bpci__free(s);
		return rc;
	}
	s->ev = event_new(base, s->fd, EV_READ | EV_PERSIST, on_readable, s);
	if (!s->ev || event_add(s->ev, NULL) < 0) {
		bpci__notify_server_free(s);
		return BPCI_ENOMEM;
	}
	*out = s;
	return 0;
}

const char *bpci__notify_server_address(const bpci__notify_server *s)
{
	return s->address;
}

uint64_t bpci__notify_server_dropped(const bpci__notify_server *s)
{
	return s->dropped;
}

void bpci__notify_server_drain(bpci__notify_server *s)
{
	while (receive_one(s))
		;
}

void bpci__notify_server_release(bpci__notify_server *s, int (*known)(pid_t pid, void *arg),
				 void *arg)
{
	bpci__notify_msg msg;
	size_t i, kept = s->next_held;

	for (i = s->next_held; i < s->nheld; i++) {
		held h = s->held[i];

		if (!known(h.pid, arg)) {
			s->held[kept++] = h;
			continue;
		}
		if (bpci__notify_parse(&msg, h.text, h.len) < 0)
			s->dropped++;
		else if (msg.present)
			s->cb(h.pid, &msg, s->payload);
		bpci__free(h.text);
	}
	s->nheld = kept;
	if (s->next_held == s->nheld)
		free_held(s);
}

static void free_held(bpci__notify_server *s)
{
	size_t i;

	for (i = 0; i < s->nheld; i++)
		bpci__free(s->held[i].text);
	bpci__free(s->held);
	s->held = NULL;
	s->nheld = s->capheld = s->next_held = 0;
}

void bpci__notify_server_hold(bpci__notify_server *s, int on)
{
	s->hold = on;
	if (!on && s->nheld)
		event_active(s->ev, EV_READ, 0); /* delivered from the loop */
}

void bpci__notify_server_free(bpci__notify_server *s)
{
	if (!s)
		return;
	free_held(s);
	if (s->ev)
		event_free(s->ev);
	if (s->fd >= 0) {
		close(s->fd);
		if (!s->abstract)
			(void)unlink(s->address);
	}
	bpci__free(s->address);
	bpci__free(s);
}

int bpci__notify_send(const char *socket_path, const char *text)
{
	struct sockaddr_un sa;
	socklen_t len;
	size_t n;
	ssize_t sent;
	int fd, err;

	if (!socket_path)
		socket_path = getenv("NOTIFY_SOCKET");
	if (!socket_path)
		return BPCI_ENOTFOUND;
	if (make_addr(socket_path, &sa, &len) < 0)
		return BPCI_EINVAL;
	n = strlen(text);
	if (n > BPCI__NOTIFY_MAX)
		return BPCI_ELIMIT;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return BPCI_EIO;
	do
		sent = sendto(fd, text, n, MSG_NOSIGNAL, (struct sockaddr *)&sa, len);
	while (sent < 0 && errno == EINTR);
	err = errno;
	close(fd);
	if (sent >= 0)
		return 0;
	return err == ENOENT || err == ECONNREFUSED ? BPCI_ENOTFOUND : BPCI_EIO;
}
