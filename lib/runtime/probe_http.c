/*
 * HTTP probe: libcurl's multi interface driven by libevent, the
 * "multi_socket" pattern: curl says which sockets to watch for what
 * (CURLMOPT_SOCKETFUNCTION) and when to call it back
 * (CURLMOPT_TIMERFUNCTION); libevent reports readiness and timeouts back
 * through curl_multi_socket_action; finished transfers come out of
 * curl_multi_info_read. Result callbacks run only after
 * curl_multi_socket_action has returned, so they may start or cancel
 * probes (curl forbids multi calls from inside its own callbacks).
 */
#include <string.h>
#include <strings.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/curl_global.h"
#include "runtime/probe_internal.h"

static void sock_unlink(bpci__probe_ctx *ctx, bpci__probe_sock *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		ctx->socks = s->next;
	if (s->next)
		s->next->prev = s->prev;
	if (s->ev)
		event_free(s->ev);
	bpci__free(s);
}

static void result_of(bpci__probe *p, CURLcode cc)
{
	long status = 0, oserr = 0;

	curl_easy_getinfo(p->easy, CURLINFO_RESPONSE_CODE, &status);
	p->result.http_status = status;
	if (cc == CURLE_OPERATION_TIMEDOUT) {
		bpci__probe_set(p, 0, "timeout after %u ms", p->timeout_ms);
	} else if (cc == CURLE_COULDNT_CONNECT) {
		curl_easy_getinfo(p->easy, CURLINFO_OS_ERRNO, &oserr);
		bpci__probe_set(p, 0, "%s", oserr ? bpci__probe_errno_reason((int)oserr)
						 : "cannot connect");
	} else if (cc != CURLE_OK) {
		bpci__probe_set(p, 0, "%s", p->errbuf[0] ? p->errbuf : curl_easy_strerror(cc));
	} else {
		int ok = p->expect ? status == p->expect : status >= 200 && status < 300;

		bpci__probe_set(p, ok, "HTTP %ld", status);
	}
}

static void check_done(bpci__probe_ctx *ctx)
{
	CURLMsg *msg;
	int left;

	while (ctx->multi && (msg = curl_multi_info_read(ctx->multi, &left))) {
		bpci__probe *p = NULL;
		CURL *easy = msg->easy_handle;
		CURLcode cc = msg->data.result;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&p);
		result_of(p, cc);
		bpci__probe_finish(p); /* removes the handle before the callback */
	}
}

static void on_sock_event(evutil_socket_t fd, short what, void *arg)
{
	bpci__probe_ctx *ctx = arg;
	int running, action = (what & EV_READ ? CURL_CSELECT_IN : 0) |
			      (what & EV_WRITE ? CURL_CSELECT_OUT : 0);

	curl_multi_socket_action(ctx->multi, fd, action, &running);
	check_done(ctx);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	bpci__probe_ctx *ctx = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(ctx->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(ctx);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *arg)
{
	bpci__probe_ctx *ctx = arg;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0)
		return evtimer_del(ctx->timer);
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (suseconds_t)(timeout_ms % 1000) * 1000;
	return evtimer_add(ctx->timer, &tv);
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	bpci__probe_ctx *ctx = arg;
	bpci__probe_sock *s = sockp;
	short kind = EV_PERSIST;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s)
			sock_unlink(ctx, s);
		return 0;
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (!s) {
		s = bpci__calloc(1, sizeof(*s));
		if (!s)
			return -1;
		s->next = ctx->socks;
		if (ctx->socks)
			ctx->socks->prev = s;
		ctx->socks = s;
		curl_multi_assign(ctx->multi, fd, s);
	} else if (s->ev) {
		event_free(s->ev);
	}
	s->ev = event_new(ctx->base, fd, kind, on_sock_event, ctx);
	if (!s->ev || event_add(s->ev, NULL) < 0)
		return -1;
	return 0;
}

static int ensure_multi(bpci__probe_ctx *ctx)
{
	if (ctx->multi)
		return 0;
	if (bpci__curl_global_init() < 0)
		return BPCI_EIO;
	ctx->timer = evtimer_new(ctx->base, on_timer, ctx);
	ctx->multi = ctx->timer ? curl_multi_init() : NULL;
	if (!ctx->multi)
		return BPCI_ENOMEM;
	curl_multi_setopt(ctx->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
	curl_multi_setopt(ctx->multi, CURLMOPT_SOCKETDATA, ctx);
	curl_multi_setopt(ctx->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
	curl_multi_setopt(ctx->multi, CURLMOPT_TIMERDATA, ctx);
	return 0;
}

static size_t discard(char *data, size_t size, size_t nmemb, void *arg)
{
	(void)data;
	(void)arg;
	return size * nmemb;
}

static int setup(bpci__probe *p, const char *url)
{
	CURL *e = curl_easy_init();

	if (!e)
		return BPCI_ENOMEM;
	p->easy = e;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)p->timeout_ms);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "bpci-probe");
	/* Each probe checks that the service accepts connections now. */
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, p->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)p);
	if (curl_multi_add_handle(p->ctx->multi, e) != CURLM_OK)
		return BPCI_ENOMEM;
	return 0;
}

int bpci__probe_http(bpci__probe **out, bpci__probe_ctx *ctx, const char *url,
		     long expect_status, unsigned int timeout_ms, bpci__probe_cb cb,
		     void *payload, bpci_diag *diag)
{
	bpci__probe *p;
	int rc;

	*out = NULL;
	if (!url || (strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "url",
				      "must be an http:// or https:// URL, got \"%s\"",
				      url ? url : "(null)");
	if (expect_status < 0 || expect_status > 999)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "expect_status",
				      "must be 0 (any 2xx) or 100..999, got %ld", expect_status);
	rc = ensure_multi(ctx);
	if (rc < 0)
		return rc;
	p = bpci__probe_new(ctx, BPCI__PROBE_HTTP, timeout_ms, cb, payload);
	if (!p)
		return BPCI_ENOMEM;
	p->expect = expect_status;
	rc = setup(p, url);
	if (rc < 0) {
		bpci__probe_cancel(p);
		return rc;
	}
	*out = p;
	return 0;
}

void bpci__probe_http_stop(bpci__probe *p)
{
	if (!p->easy)
		return;
	if (p->ctx && p->ctx->multi)
		curl_multi_remove_handle(p->ctx->multi, p->easy);
	curl_easy_cleanup(p->easy);
	p->easy = NULL;
}

void bpci__probe_http_ctx_free(bpci__probe_ctx *ctx)
{
	if (ctx->multi)
		curl_multi_cleanup(ctx->multi);
	ctx->multi = NULL;
	while (ctx->socks)
		sock_unlink(ctx, ctx->socks);
	if (ctx->timer)
		event_free(ctx->timer);
	ctx->timer = NULL;
}
