/*
 * One probe of a node, on the loop: a non-blocking TCP connect to the
 * endpoint (tcp), the same followed by "GET health.path" whose status must
 * be 2xx (http), or health.command run to completion with exit status 0
 * (exec). Each probe is bounded by health.timeout; a probe that runs out
 * of time fails and its process (exec) is killed.
 */
#include "runtime/coordinator_internal.h"

#include <errno.h>
#include <event2/event.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/alloc.h"

struct bpci__cprobe {
	bpci__cnode *n;
	bpci__cprobe_cb done;
	int fd;
	struct event *ev;
	bpci__proc *proc;   /* exec */
	char req[600];
	size_t req_len, req_off;
	char resp[64];
	size_t resp_len;
	int connected;
};

static void probe_free(bpci__cprobe *p)
{
	if (p->ev)
		event_free(p->ev);
	if (p->fd >= 0)
		close(p->fd);
	if (p->proc) {
		int st;

		(void)bpci__proc_signal_group(p->proc, SIGKILL);
		(void)bpci__proc_wait(p->proc, 1000, &st);
		bpci__proc_free(p->proc);
	}
	bpci__free(p);
}

void bpci__cprobe_cancel(bpci__cnode *n)
{
	if (n->probe) {
		probe_free(n->probe);
		n->probe = NULL;
	}
}

static void finish(bpci__cprobe *p, int passed, const char *why)
{
	bpci__cnode *n = p->n;
	bpci__cprobe_cb done = p->done;
	char msg[200];

	snprintf(msg, sizeof(msg), "%s", why ? why : "");
	bpci__cprobe_cancel(n);
	done(n, passed, msg);
}

/* host and port out of "http://HOST:PORT/..." ("[v6]" accepted). */
static int split_endpoint(const char *url, char *host, size_t hlen, char *port, size_t plen)
{
	const char *p = strstr(url, "://"), *end, *colon;
	int https = strncmp(url, "https", 5) == 0;

	p = p ? p + 3 : url;
	end = p + strcspn(p, "/?#");
	if (*p == '[') {
		const char *rb = memchr(p, ']', (size_t)(end - p));

		if (!rb)
			return -1;
		snprintf(host, hlen, "%.*s", (int)(rb - p - 1), p + 1);
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		snprintf(host, hlen, "%.*s", (int)((colon ? colon : end) - p), p);
	}
	if (colon)
		snprintf(port, plen, "%.*s", (int)(end - colon - 1), colon + 1);
	else
		snprintf(port, plen, "%s", https ? "443" : "80");
	return *host ? 0 : -1;
}

static void on_io(evutil_socket_t fd, short what, void *arg);

static int wait_io(bpci__cprobe *p, short what)
{
	struct timeval tv = {(time_t)(p->n->set.timeout_ms / 1000),
			     (suseconds_t)((p->n->set.timeout_ms % 1000) * 1000)};

	if (p->ev)
		event_free(p->ev);
	p->ev = event_new(p->n->c->base, p->fd, what, on_io, p);
	return p->ev && event_add(p->ev, &tv) == 0 ? 0 : -1;
}

static void on_io(evutil_socket_t fd, short what, void *arg)
{
	bpci__cprobe *p = arg;
	int err = 0;
	socklen_t el = sizeof(err);
	ssize_t k;

	if (what & EV_TIMEOUT)
		{ finish(p, 0, "timed out"); return; }
	if (!p->connected) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0 || err)
			{ finish(p, 0, strerror(err ? err : errno)); return; }
		p->connected = 1;
		if (p->n->set.check == BPCI__CHECK_TCP)
			{ finish(p, 1, NULL); return; }
	}
	if (p->req_off < p->req_len) {
		k = send(fd, p->req + p->req_off, p->req_len - p->req_off, MSG_NOSIGNAL);
		if (k < 0 && errno != EAGAIN)
			{ finish(p, 0, strerror(errno)); return; }
		if (k > 0)
			p->req_off += (size_t)k;
		if (wait_io(p, p->req_off < p->req_len ? EV_WRITE : EV_READ) < 0)
			{ finish(p, 0, "out of memory"); return; }
		return;
	}
	k = recv(fd, p->resp + p->resp_len, sizeof(p->resp) - 1 - p->resp_len, 0);
	if (k < 0 && errno == EAGAIN) {
		if (wait_io(p, EV_READ) < 0)
			finish(p, 0, "out of memory");
		return;
	}
	if (k > 0)
		p->resp_len += (size_t)k;
	p->resp[p->resp_len] = '\0';
	if (k > 0 && p->resp_len < 12 && wait_io(p, EV_READ) == 0)
		return;
	/* "HTTP/1.x NNN" */
	if (p->resp_len >= 12 && strncmp(p->resp, "HTTP/", 5) == 0 && p->resp[9] == '2')
		{ finish(p, 1, NULL); return; }
	finish(p, 0, p->resp_len >= 12 ? "HTTP status is not 2xx" : "no HTTP response");
}

static int start_net(bpci__cprobe *p)
{
	struct addrinfo hints, *ai = NULL;
	char host[256], port[16];
	const char *path = "/health";
	int rc;

	if (split_endpoint(p->n->endpoint ? p->n->endpoint : "", host, sizeof(host), port,
			   sizeof(port)) < 0)
		return -1;
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
		return -1;
	p->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	rc = p->fd < 0 ? -1 : connect(p->fd, ai->ai_addr, ai->ai_addrlen);
	freeaddrinfo(ai);
	if (p->fd < 0 || (rc < 0 && errno != EINPROGRESS))
		return -1;
	(void)bpci_node_spec_get_string(p->n->spec, "health.path", &path);
	p->req_len = (size_t)snprintf(p->req, sizeof(p->req),
				      "GET %.400s HTTP/1.0\r\nHost: %s:%s\r\n"
				      "User-Agent: bpci-coordinator\r\n\r\n",
				      path, host, port);
	return wait_io(p, EV_WRITE);
}

static void on_exec_exit(evutil_socket_t fd, short what, void *arg)
{
	bpci__cprobe *p = arg;
	int st = 0;

	(void)fd;
	if (what & EV_TIMEOUT)
		{ finish(p, 0, "timed out"); return; }
	if (bpci__proc_reap(p->proc, &st) != 1) {
		event_add(p->ev, NULL);
		return;
	}
	bpci__proc_free(p->proc);
	p->proc = NULL;
	if (st != BPCI__PROC_STATUS_UNKNOWN && WIFEXITED(st) && WEXITSTATUS(st) == 0)
		{ finish(p, 1, NULL); return; }
	finish(p, 0, "health command failed");
}

static int start_exec(bpci__cprobe *p)
{
	bpci__proc_opts po = BPCI__PROC_OPTS_INIT;
	const char *const *cmd = NULL;
	const char *argv[64];
	size_t count = 0, i;
	struct timeval tv = {(time_t)(p->n->set.timeout_ms / 1000),
			     (suseconds_t)((p->n->set.timeout_ms % 1000) * 1000)};

	if (bpci_node_spec_get_list(p->n->spec, "health.command", &cmd, &count) < 0 ||
	    count == 0 || count >= 64)
		return -1;
	for (i = 0; i < count; i++)
		argv[i] = cmd[i];
	argv[count] = NULL;
	po.argv = argv;
	if (bpci__proc_spawn(&p->proc, &po, NULL) < 0)
		return -1;
	p->ev = event_new(p->n->c->base, bpci__proc_fd(p->proc), EV_READ, on_exec_exit, p);
	return p->ev && event_add(p->ev, &tv) == 0 ? 0 : -1;
}

int bpci__cprobe_start(bpci__cnode *n, bpci__cprobe_cb done)
{
	bpci__cprobe *p = bpci__calloc(1, sizeof(*p));
	int rc;

	if (!p)
		return BPCI_ENOMEM;
	p->n = n;
	p->done = done;
	p->fd = -1;
	rc = n->set.check == BPCI__CHECK_EXEC ? start_exec(p) : start_net(p);
	if (rc < 0) {
		probe_free(p);
		return BPCI_EIO;
	}
	n->probe = p;
	return 0;
}
