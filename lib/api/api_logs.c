/*
 * GET /api/nodes/{id}/logs?tail=N&follow=1. A follow sends the tail, then
 * whatever is appended to the node's log file: an inotify watch on the
 * logs directory wakes the loop when the file grows or is rotated (a new
 * inode under the same name), so an idle stream costs nothing.
 *
 * Backpressure: a client that reads slower than the node writes must not
 * make the coordinator hold the difference. Above FOLLOW_MAX_PENDING bytes
 * waiting for the socket, the stream stops reading the log file (the file
 * is the buffer) and resumes when the connection's output has drained; a
 * client that stops reading altogether is dropped by the write timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "api/api_internal.h"
#include "common/alloc.h"
#include "runtime/coordinator_api.h"

#define TAIL_DEFAULT 100u
#define TAIL_MAX 100000u
#define CHUNK 65536
#define FOLLOW_MAX_PENDING ((size_t)1 << 20)

struct bpci__api_follow {
	bpci_server *srv;
	bpci__http_req *req;
	char *id;
	char *path;
	int fd;                 /* the log file being read, or -1 */
	ino_t ino;
	int ifd;                /* inotify */
	struct event *ev;       /* inotify readable */
	struct event *reap;     /* ends the stream outside write callbacks */
	int gone;
	int paused;             /* waiting for the client to take what is queued */
	bpci__api_follow *prev, *next;
};

static void follow_free(bpci__api_follow *f)
{
	bpci_server *srv = f->srv;

	if (f->prev)
		f->prev->next = f->next;
	else
		srv->follows = f->next;
	if (f->next)
		f->next->prev = f->prev;
	if (f->ev)
		event_free(f->ev);
	if (f->reap)
		event_free(f->reap);
	if (f->ifd >= 0)
		close(f->ifd);
	if (f->fd >= 0)
		close(f->fd);
	bpci__http_stream_end(f->req);
	bpci__free(f->id);
	bpci__free(f->path);
	bpci__free(f);
}

static void on_reap(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	follow_free(arg);
}

/* The client left, perhaps inside a write: end the stream from the loop. */
static void on_gone(bpci__http_req *req, void *payload)
{
	bpci__api_follow *f = payload;

	(void)req;
	f->gone = 1;
	if (f->reap)
		event_active(f->reap, EV_TIMEOUT, 0);
}

/* The most that ever waited for one client (tests read it). */
static void note_pending(bpci__api_follow *f)
{
	size_t p = bpci__http_stream_pending(f->req);

	if (p > f->srv->follow_max_pending)
		f->srv->follow_max_pending = p;
}

/* Sends what @fd holds from its offset on, up to the pending limit.
 * 0: all sent; 1: paused until the output drains; -1: the client left. */
static int send_rest(bpci__api_follow *f)
{
	char buf[CHUNK];
	ssize_t n;

	while (f->fd >= 0) {
		if (bpci__http_stream_pending(f->req) >= FOLLOW_MAX_PENDING) {
			f->paused = 1;
			return 1;
		}
		if ((n = read(f->fd, buf, sizeof(buf))) <= 0)
			break;
		if (bpci__http_stream_chunk(f->req, buf, (size_t)n) != 0 || f->gone)
			return -1;
		note_pending(f);
	}
	return 0;
}

/* (Re)open the file under its name when it is new (rotation, creation),
 * after draining the old one. */
static int reopen_if_new(bpci__api_follow *f)
{
	struct stat st;
	int fd;

	if (stat(f->path, &st) != 0 || (f->fd >= 0 && st.st_ino == f->ino))
		return 0;
	if (send_rest(f) != 0)
		return -1; /* gone, or the old file is not finished yet */
	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = fd;
	f->ino = st.st_ino;
	return 0;
}

static void pump(bpci__api_follow *f)
{
	struct stat st;

	if (f->gone || f->paused)
		return; /* a paused stream goes on from on_drained */
	if (reopen_if_new(f) != 0)
		return;
	/* Truncated in place: start again from its beginning. */
	if (f->fd >= 0 && fstat(f->fd, &st) == 0 && lseek(f->fd, 0, SEEK_CUR) > st.st_size)
		(void)lseek(f->fd, 0, SEEK_SET);
	(void)send_rest(f);
}

static void on_drained(bpci__http_req *req, void *payload)
{
	bpci__api_follow *f = payload;

	(void)req;
	if (!f->paused)
		return;
	f->paused = 0;
	pump(f);
}

/* Other nodes' logs share the directory: wake only for ours. */
static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
	bpci__api_follow *f = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const char *base = strrchr(f->path, '/');
	ssize_t n;
	int ours = 0;

	(void)what;
	base = base ? base + 1 : f->path;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		char *p = buf;

		while (p < buf + n) {
			const struct inotify_event *e = (const struct inotify_event *)p;

			if (e->len && strcmp(e->name, base) == 0)
				ours = 1;
			if (e->mask & IN_Q_OVERFLOW)
				ours = 1;
			p += sizeof(*e) + e->len;
		}
	}
	if (ours)
		pump(f);
}

static int watch_dir(bpci__api_follow *f)
{
	char *dir = bpci__strdup(f->path), *slash;
	int rc = -1;

	if (!dir)
		return -1;
	slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	f->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (f->ifd >= 0 &&
	    inotify_add_watch(f->ifd, slash ? dir : ".",
			      IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE) >= 0) {
		struct event_base *base = event_get_base(f->reap);

		f->ev = event_new(base, f->ifd, EV_READ | EV_PERSIST, on_inotify, f);
		if (f->ev && event_add(f->ev, NULL) == 0)
			rc = 0;
	}
	bpci__free(dir);
	return rc;
}

/* The tail was sent: from here on, only what is appended. */
static void start_follow(bpci_server *srv, bpci__http_req *req, const char *id, char *path,
			 struct event_base *base, const char *tail)
{
	bpci__api_follow *f = bpci__calloc(1, sizeof(*f));
	struct stat st;

	if (f && !(f->id = bpci__strdup(id))) {
		bpci__free(f);
		f = NULL;
	}
	if (!f) {
		bpci__free(path);
		bpci__http_reply_error(req, 500, "internal", "out of memory", NULL);
		return;
	}
	f->srv = srv;
	f->req = req;
	f->path = path;
	f->fd = f->ifd = -1;
	f->next = srv->follows;
	if (srv->follows)
		srv->follows->prev = f;
	srv->follows = f;
	f->reap = event_new(base, -1, 0, on_reap, f);
	if (!f->reap || bpci__http_stream_start(req, 200, "text/plain; charset=utf-8",
						 on_gone, f) != 0) {
		follow_free(f);
		return;
	}
	bpci__http_stream_on_drain(req, on_drained);
	if (*tail && bpci__http_stream_chunk(req, tail, strlen(tail)) != 0)
		return; /* on_gone reaps it */
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd >= 0 && fstat(f->fd, &st) == 0) {
		f->ino = st.st_ino;
		(void)lseek(f->fd, 0, SEEK_END);
	}
	if (watch_dir(f) != 0)
		follow_free(f); /* ends the answer after the tail */
}

void bpci__api_follows_free(bpci_server *srv)
{
	while (srv->follows)
		follow_free(srv->follows);
}

void bpci__api_follows_end(bpci_server *srv, const char *id)
{
	bpci__api_follow *f = srv->follows, *next;

	for (; f; f = next) {
		next = f->next;
		if (strcmp(f->id, id) == 0) {
			pump(f); /* its last words first */
			if (!f->gone)
				follow_free(f);
		}
	}
}

static int query_tail(bpci__http_req *req, size_t *out)
{
	const char *t = bpci__http_req_query(req, "tail");
	char *end, *msg;
	unsigned long v;

	*out = TAIL_DEFAULT;
	if (!t)
		return 0;
	errno = 0;
	v = strtoul(t, &end, 10);
	if (*t >= '0' && *t <= '9' && !*end && errno == 0 && v <= TAIL_MAX) {
		*out = (size_t)v;
		return 0;
	}
	msg = bpci__asprintf("tail must be a number of lines 0..%u, got '%s'", TAIL_MAX, t);
	bpci__http_reply_error(req, 400, "invalid", msg ? msg : "bad tail", "tail");
	bpci__free(msg);
	return -1;
}

static int query_follow(const bpci__http_req *req)
{
	const char *f = bpci__http_req_query(req, "follow");

	return f && (strcmp(f, "1") == 0 || strcmp(f, "true") == 0 || strcmp(f, "yes") == 0);
}

static void on_logs(bpci__http_req *req, void *payload)
{
	bpci_server *srv = payload;
	const char *id = bpci__http_req_param(req, "id");
	bpci_node_status *st = NULL;
	char *text = NULL, *path = NULL, *msg;
	size_t tail;
	int rc;

	if (query_tail(req, &tail) != 0)
		return;
	if (bpci_coordinator_get_node(&st, srv->c, id, NULL) != 0) {
		msg = bpci__asprintf("'%s' names no node of this coordinator", id);
		bpci__http_reply_error(req, 404, "not_found", msg ? msg : "no such node", "id");
		bpci__free(msg);
		return;
	}
	bpci_node_status_free(st);
	/* A node that has not written anything yet has an empty log. */
	rc = tail ? bpci_coordinator_node_logs(&text, srv->c, id, tail, NULL) : 0;
	if (rc != 0 && rc != BPCI_ENOTFOUND) {
		bpci__http_reply_error(req, 500, "internal", bpci_strerror(rc), NULL);
		return;
	}
	if (!query_follow(req))
		bpci__http_reply_text(req, 200, "text/plain; charset=utf-8", text ? text : "");
	else if (bpci_coordinator_node_log_path(&path, srv->c, id, NULL) != 0)
		bpci__http_reply_error(req, 500, "internal", "no log file path", NULL);
	else
		start_follow(srv, req, id, path, bpci__coordinator_base(srv->c),
			     text ? text : "");
	bpci__free(text);
}

int bpci__api_routes_logs(bpci_server *srv)
{
	return bpci__http_route(srv->http, "GET", "/api/nodes/{id}/logs", on_logs, srv);
}
