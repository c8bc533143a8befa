/*
 * Health probes: the per-loop context and the life of a probe.
 *
 * A probe is owned by its caller until bpci__probe_cancel. The one subtle
 * case is cancelling from inside the result callback: the probe is marked
 * and freed when the callback returns, so the code that called the
 * callback never touches freed memory. An exec probe cancelled while its
 * command runs stays alive, unseen, until the killed child is reaped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/probe_internal.h"

int bpci__probe_ctx_new(bpci__probe_ctx **out, struct event_base *base, bpci_diag *diag)
{
	bpci__probe_ctx *ctx;

	*out = NULL;
	if (!base)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "base",
				      "an event base is required");
	ctx = bpci__calloc(1, sizeof(*ctx));
	if (!ctx)
		return BPCI_ENOMEM;
	ctx->base = base;
	*out = ctx;
	return 0;
}

bpci__probe *bpci__probe_new(bpci__probe_ctx *ctx, int kind, unsigned int timeout_ms,
			     bpci__probe_cb cb, void *payload)
{
	bpci__probe *p = bpci__calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->ctx = ctx;
	p->kind = kind;
	p->running = 1;
	p->cb = cb;
	p->payload = payload;
	p->timeout_ms = timeout_ms ? timeout_ms : 1;
	p->fd = -1;
	p->pidfd = -1;
	p->result.exit_status = -1;
	clock_gettime(CLOCK_MONOTONIC, &p->start);
	p->next = ctx->probes;
	if (ctx->probes)
		ctx->probes->prev = p;
	ctx->probes = p;
	return p;
}

void bpci__probe_free(bpci__probe *p)
{
	if (p->ctx) {
		if (p->prev)
			p->prev->next = p->next;
		else
			p->ctx->probes = p->next;
		if (p->next)
			p->next->prev = p->prev;
	}
	bpci__free(p);
}

void bpci__probe_set(bpci__probe *p, int ok, const char *fmt, ...)
{
	va_list ap;

	p->result.ok = ok;
	va_start(ap, fmt);
	vsnprintf(p->result.reason, sizeof(p->result.reason), fmt, ap);
	va_end(ap);
}

const char *bpci__probe_errno_reason(int err)
{
	switch (err) {
	case ECONNREFUSED: return "connection refused";
	case ETIMEDOUT: return "timeout";
	case ENETUNREACH: return "network unreachable";
	case EHOSTUNREACH: return "host unreachable";
	case ECONNRESET: return "connection reset";
	default: return strerror(err);
	}
}

/* Releases what the probe holds; 1 when an exec child still needs reaping. */
static int stop_kind(bpci__probe *p, int blocking)
{
	if (p->later) {
		event_free(p->later);
		p->later = NULL;
	}
	switch (p->kind) {
	case BPCI__PROBE_HTTP:
		bpci__probe_http_stop(p);
		return 0;
	case BPCI__PROBE_TCP:
		bpci__probe_tcp_stop(p);
		return 0;
	default:
		return bpci__probe_exec_stop(p, blocking);
	}
}

void bpci__probe_finish(bpci__probe *p)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	p->result.latency_us = (int64_t)(now.tv_sec - p->start.tv_sec) * 1000000 +
			       (now.tv_nsec - p->start.tv_nsec) / 1000;
	stop_kind(p, 0);
	p->running = 0;
	if (!p->cancelled && p->cb) {
		p->in_cb = 1;
		p->cb(p, &p->result, p->payload);
		p->in_cb = 0;
	}
	if (p->cancelled)
		bpci__probe_free(p);
}

static void on_later(evutil_socket_t fd, short what, void *arg)
{
	bpci__probe *p = arg;

	(void)fd;
	(void)what;
	event_free(p->later);
	p->later = NULL;
	bpci__probe_finish(p);
}

int bpci__probe_finish_later(bpci__probe *p)
{
	static const struct timeval now = {0, 0};

	p->later = evtimer_new(p->ctx->base, on_later, p);
	if (!p->later || evtimer_add(p->later, &now) < 0)
		return BPCI_ENOMEM;
	return 0;
}

void bpci__probe_cancel(bpci__probe *p)
{
	if (!p)
		return;
	if (p->in_cb) {
		p->cancelled = 1;
		return;
	}
	if (p->running) {
		p->running = 0;
		if (stop_kind(p, 0)) {
			p->cancelled = 1; /* freed once the child is reaped */
			return;
		}
	}
	bpci__probe_free(p);
}

void bpci__probe_ctx_free(bpci__probe_ctx *ctx)
{
	bpci__probe *p, *next;

	if (!ctx)
		return;
	for (p = ctx->probes; p; p = next) {
		next = p->next;
		stop_kind(p, 1);
		p->running = 0;
		if (p->cancelled) {
			bpci__probe_free(p);
		} else {
			p->ctx = NULL; /* the caller still holds and releases it */
			p->prev = p->next = NULL;
		}
	}
	ctx->probes = NULL;
	bpci__probe_http_ctx_free(ctx);
	bpci__free(ctx);
}
