/*
 * TCP probe: a non-blocking connect whose completion (or deadline) is one
 * libevent write event with a timeout.
 */
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/diag.h"
#include "runtime/probe_internal.h"

void bpci__probe_tcp_stop(bpci__probe *p)
{
	if (p->io) {
		event_free(p->io);
		p->io = NULL;
	}
	if (p->fd >= 0) {
		close(p->fd);
		p->fd = -1;
	}
}

static void on_connect(evutil_socket_t fd, short what, void *arg)
{
	bpci__probe *p = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	if (what & EV_TIMEOUT) {
		bpci__probe_set(p, 0, "timeout after %u ms", p->timeout_ms);
	} else {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err)
			bpci__probe_set(p, 0, "%s", bpci__probe_errno_reason(err));
		else
			bpci__probe_set(p, 1, "connected");
	}
	bpci__probe_finish(p);
}

static int resolve(const char *host, unsigned int port, struct sockaddr_storage *ss,
		   socklen_t *len, bpci_diag *diag)
{
	struct addrinfo hints, *ai = NULL;

	if (!host || port == 0 || port > 65535)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, host ? "port" : "host",
				      "must be 1..65535, got %u", port);
	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "host",
				      "must be a numeric IP address or localhost, got \"%s\"", host);
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = (socklen_t)ai->ai_addrlen;
	freeaddrinfo(ai);
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	return 0;
}

/* Starts the connect; a result known at once is delivered on the next turn. */
static int start(bpci__probe *p, const struct sockaddr_storage *ss, socklen_t len)
{
	struct timeval tv;

	p->fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0) {
		bpci__probe_set(p, 0, "%s", strerror(errno));
		return bpci__probe_finish_later(p);
	}
	if (connect(p->fd, (const struct sockaddr *)ss, len) == 0) {
		bpci__probe_set(p, 1, "connected");
		return bpci__probe_finish_later(p);
	}
	if (errno != EINPROGRESS) {
		bpci__probe_set(p, 0, "%s", bpci__probe_errno_reason(errno));
		return bpci__probe_finish_later(p);
	}
	tv.tv_sec = p->timeout_ms / 1000;
	tv.tv_usec = (suseconds_t)(p->timeout_ms % 1000) * 1000;
	p->io = event_new(p->ctx->base, p->fd, EV_WRITE, on_connect, p);
	if (!p->io || event_add(p->io, &tv) < 0)
		return BPCI_ENOMEM;
	return 0;
}

int bpci__probe_tcp(bpci__probe **out, bpci__probe_ctx *ctx, const char *host,
		    unsigned int port, unsigned int timeout_ms, bpci__probe_cb cb,
		    void *payload, bpci_diag *diag)
{
	struct sockaddr_storage ss;
	socklen_t len = 0;
	bpci__probe *p;
	int rc;

	*out = NULL;
	rc = resolve(host, port, &ss, &len, diag);
	if (rc < 0)
		return rc;
	p = bpci__probe_new(ctx, BPCI__PROBE_TCP, timeout_ms, cb, payload);
	if (!p)
		return BPCI_ENOMEM;
	rc = start(p, &ss, len);
	if (rc < 0) {
		bpci__probe_cancel(p);
		return rc;
	}
	*out = p;
	return 0;
}
