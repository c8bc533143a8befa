/*
 * Streamed answers (log "follow") on evhttp's chunked API, and noticing a
 * client that went away so the producer can stop.
 *
 * Two signals say the client left: libevent's close callback (it freed the
 * connection after a failed write or a timeout; the request was detached
 * and stays ours), and our own read watcher on the socket, which sees the
 * peer's EOF even when nothing is being written. Whichever comes first
 * runs the producer's gone callback, once.
 */
#include <errno.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "runtime/http_server_internal.h"

static void mark_gone(bpci__http_req *req)
{
	if (req->watch) {
		event_free(req->watch);
		req->watch = NULL;
	}
	if (req->gone)
		return;
	req->gone = 1;
	if (req->gone_cb)
		req->gone_cb(req, req->gone_payload);
}

/* libevent is freeing the connection: never touch it again. */
static void on_close(struct evhttp_connection *evcon, void *arg)
{
	bpci__http_req *req = arg;

	(void)evcon;
	req->evcon_dead = 1;
	req->evcon = NULL;
	mark_gone(req);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	bpci__http_req *req = arg;
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	(void)what;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n > 0) {
		/* A pipelined request, not a close: stop watching (level-triggered
		 * readiness would spin); a later write error still tells. */
		event_free(req->watch);
		req->watch = NULL;
		return;
	}
	mark_gone(req);
}

static void watch_peer(bpci__http_req *req)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(req->evcon);
	evutil_socket_t fd = bev ? bufferevent_getfd(bev) : -1;

	if (fd < 0)
		return;
	req->watch = event_new(req->srv->base, fd, EV_READ | EV_PERSIST, on_readable, req);
	if (req->watch && event_add(req->watch, NULL) < 0) {
		event_free(req->watch);
		req->watch = NULL;
	}
	/* Without a watcher the close callback still reports the first failed write. */
}

/*
 * A follow may be quiet for long: the read timeout meant for slow request
 * senders must not cut it. The write timeout stays, so a client that stops
 * reading is still dropped. Restored for the connection's next request.
 */
static void set_read_timeout(bpci__http_req *req, int on)
{
	struct bufferevent *bev = evhttp_connection_get_bufferevent(req->evcon);

	if (bev)
		bufferevent_set_timeouts(bev, on ? &req->srv->timeout : NULL, &req->srv->timeout);
}

int bpci__http_stream_start(bpci__http_req *req, int status, const char *content_type,
			    bpci__http_gone_cb gone, void *payload)
{
	req->streaming = 1;
	req->gone_cb = gone;
	req->gone_payload = payload;
	req->evcon = req->ev ? evhttp_request_get_connection(req->ev) : NULL;
	if (!req->evcon) {
		req->gone = 1;
		req->evcon_dead = 1;
		return BPCI_EUNREACHABLE;
	}
	if (req->srv && req->srv->on_answer)
		req->srv->on_answer(req, status, req->srv->answer_payload);
	evhttp_add_header(evhttp_request_get_output_headers(req->ev), "Content-Type",
			  content_type ? content_type : "text/plain; charset=utf-8");
	evhttp_send_reply_start(req->ev, status, NULL);
	evhttp_connection_set_closecb(req->evcon, on_close, req);
	set_read_timeout(req, 0);
	watch_peer(req);
	return 0;
}

/* evhttp calls this when the connection's output buffer has drained
 * (the bufferevent's write callback at the default low watermark, 0). The
 * next chunk or the end of the stream replaces it, so it never sees a
 * released request. */
static void on_drained(struct evhttp_connection *evcon, void *arg)
{
	bpci__http_req *req = arg;

	(void)evcon;
	if (req->drain_cb && !req->gone && req->ev)
		req->drain_cb(req, req->gone_payload);
}

size_t bpci__http_stream_pending(const bpci__http_req *req)
{
	struct bufferevent *bev;

	if (req->gone || !req->ev || req->evcon_dead || !req->evcon)
		return 0;
	bev = evhttp_connection_get_bufferevent(req->evcon);
	return bev ? evbuffer_get_length(bufferevent_get_output(bev)) : 0;
}

void bpci__http_stream_on_drain(bpci__http_req *req, bpci__http_drain_cb drained)
{
	req->drain_cb = drained;
}

int bpci__http_stream_chunk(bpci__http_req *req, const void *data, size_t len)
{
	struct evbuffer *buf;

	if (req->gone || !req->ev || req->evcon_dead)
		return BPCI_EUNREACHABLE;
	if (!len)
		return 0; /* an empty chunk would end the stream */
	buf = evbuffer_new();
	if (!buf || evbuffer_add(buf, data, len) < 0) {
		evbuffer_free(buf);
		return BPCI_ENOMEM;
	}
	evhttp_send_reply_chunk_with_cb(req->ev, buf, on_drained, req);
	evbuffer_free(buf);
	return req->gone ? BPCI_EUNREACHABLE : 0;
}

void bpci__http_stream_end(bpci__http_req *req)
{
	req->drain_cb = NULL;
	if (req->watch) {
		event_free(req->watch);
		req->watch = NULL;
	}
	if (req->ev) {
		if (!req->evcon_dead && req->evcon) {
			evhttp_connection_set_closecb(req->evcon, NULL, NULL);
			set_read_timeout(req, 1);
		}
		/* Also frees a request whose connection is gone. */
		evhttp_send_reply_end(req->ev);
		req->ev = NULL;
	}
	bpci__http_req_done(req);
}
