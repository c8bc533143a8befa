/*
 * Requests of the HTTP server: what a handler reads, how it answers, and
 * chunked streams that notice a vanished client.
 *
 * Lifetimes follow libevent 2.1: when a client goes away before the answer,
 * evhttp detaches the unanswered evhttp_request from its connection (it is
 * not freed) and evhttp_send_reply / evhttp_send_reply_end on a detached
 * request just free it. So every request here keeps its evhttp_request
 * until it is answered, except at server teardown, where evhttp_free frees
 * the requests of live connections: bpci__http_req_drop_all runs first.
 *
 * For streams, libevent only learns that the peer left when a write fails,
 * which for an idle "follow" may be never; a read watcher on the socket
 * notices the peer's EOF at once.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "common/alloc.h"
#include "runtime/http_server_internal.h"

static void req_link(bpci__http_server *srv, bpci__http_req *req)
{
	req->next = srv->live;
	if (srv->live)
		srv->live->prev = req;
	srv->live = req;
}

static void req_free(bpci__http_req *req)
{
	size_t i;

	if (req->srv) {
		if (req->prev)
			req->prev->next = req->next;
		else
			req->srv->live = req->next;
		if (req->next)
			req->next->prev = req->prev;
	}
	if (req->watch)
		event_free(req->watch);
	if (req->query_parsed)
		evhttp_clear_headers(&req->query);
	for (i = 0; i < req->nparams; i++)
		bpci__free(req->params[i].value);
	bpci__free(req->params);
	bpci__free(req->body);
	bpci__free(req->path_copy);
	bpci__free(req);
}

static int read_body(bpci__http_req *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req->ev);
	size_t len = in ? evbuffer_get_length(in) : 0;

	req->body = bpci__malloc(len + 1);
	if (!req->body)
		return -1;
	if (len && evbuffer_copyout(in, req->body, len) != (ev_ssize_t)len)
		return -1;
	req->body[len] = '\0';
	req->body_len = len;
	return 0;
}

bpci__http_req *bpci__http_req_new(bpci__http_server *srv, struct evhttp_request *ev)
{
	bpci__http_req *req = bpci__calloc(1, sizeof(*req));
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(ev);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *query = uri ? evhttp_uri_get_query(uri) : NULL;

	if (!req)
		return NULL;
	req->ev = ev;
	req->method = bpci__http_method_name((unsigned int)evhttp_request_get_command(ev));
	if (!req->method)
		req->method = "UNKNOWN"; /* matches no route */
	req->path_copy = bpci__strdup(path && path[0] ? path : "/");
	req->query.tqh_first = NULL; /* TAILQ_INIT, which libevent does not export */
	req->query.tqh_last = &req->query.tqh_first;
	if (!req->path_copy || read_body(req) < 0) {
		req_free(req);
		return NULL;
	}
	/* The copy is split by routing; path keeps the whole text. */
	req->query_parsed = !query || evhttp_parse_query_str(query, &req->query) == 0;
	if (!req->query_parsed)
		evhttp_clear_headers(&req->query);
	req->path = path && path[0] ? path : "/";
	req->srv = srv;
	req_link(srv, req);
	return req;
}

const char *bpci__http_req_method(const bpci__http_req *req)
{
	return req->method;
}

const char *bpci__http_req_path(const bpci__http_req *req)
{
	return req->path;
}

const char *bpci__http_req_query(const bpci__http_req *req, const char *name)
{
	if (!req->query_parsed || !name)
		return NULL;
	return evhttp_find_header(&req->query, name);
}

const char *bpci__http_req_header(const bpci__http_req *req, const char *name)
{
	if (!req->ev || !name)
		return NULL;
	return evhttp_find_header(evhttp_request_get_input_headers(req->ev), name);
}

const char *bpci__http_req_body(const bpci__http_req *req, size_t *len)
{
	if (len)
		*len = req->body_len;
	return req->body;
}

int bpci__http_req_gone(const bpci__http_req *req)
{
	return req->gone || !req->ev;
}

int bpci__http_reply_header(bpci__http_req *req, const char *name, const char *value)
{
	if (!req->ev)
		return 0;
	return evhttp_add_header(evhttp_request_get_output_headers(req->ev), name, value) == 0
		       ? 0 : BPCI_ENOMEM;
}

void bpci__http_server_on_answer(bpci__http_server *srv, bpci__http_answer_cb cb,
				 void *payload)
{
	srv->on_answer = cb;
	srv->answer_payload = payload;
}

const char *bpci__http_req_peer(const bpci__http_req *req, char *buf, size_t cap)
{
	struct evhttp_connection *con = req->ev ? evhttp_request_get_connection(req->ev) : NULL;
	char *host = NULL;
	ev_uint16_t port = 0;

	if (cap)
		buf[0] = '\0';
	if (!con)
		return buf;
	evhttp_connection_get_peer(con, &host, &port);
	if (host)
		snprintf(buf, cap, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
			 (unsigned int)port);
	return buf;
}

void bpci__http_req_done(bpci__http_req *req)
{
	if (req->srv && req->srv->dropping)
		req->released = 1;
	else
		req_free(req);
}

static void send_body(bpci__http_req *req, int status, const char *ctype, const char *data,
		      size_t len)
{
	if (req->ev) {
		struct evbuffer *out = evhttp_request_get_output_buffer(req->ev);

		if (req->srv && req->srv->on_answer)
			req->srv->on_answer(req, status, req->srv->answer_payload);

		evhttp_add_header(evhttp_request_get_output_headers(req->ev), "Content-Type",
				  ctype);
		if (len)
			evbuffer_add(out, data, len);
		evhttp_send_reply(req->ev, status, NULL, NULL);
		req->ev = NULL;
	}
	bpci__http_req_done(req);
}

void bpci__http_reply_text(bpci__http_req *req, int status, const char *content_type,
			   const char *text)
{
	send_body(req, status, content_type ? content_type : "text/plain; charset=utf-8",
		  text ? text : "", text ? strlen(text) : 0);
}

static void free_taken(const void *data, size_t len, void *extra)
{
	(void)len;
	(void)extra;
	bpci__free((void *)data);
}

void bpci__http_reply_take(bpci__http_req *req, int status, const char *content_type,
			   char *data, size_t len)
{
	struct evbuffer *out;

	if (!data) {
		bpci__http_reply_error(req, 500, "internal", "out of memory", NULL);
		return;
	}
	if (!req->ev) {
		bpci__free(data);
		bpci__http_req_done(req);
		return;
	}
	out = evhttp_request_get_output_buffer(req->ev);
	if (evbuffer_add_reference(out, data, len, free_taken, NULL) < 0) {
		bpci__free(data);
		bpci__http_reply_error(req, 500, "internal", "out of memory", NULL);
		return;
	}
	send_body(req, status, content_type ? content_type : "application/json", NULL, 0);
}

void bpci__http_reply_json(bpci__http_req *req, int status, json_t *json)
{
	char *text = json ? json_dumps(json, JSON_COMPACT) : NULL;

	json_decref(json);
	if (!text) {
		bpci__http_reply_error(req, 500, "internal", "cannot encode the answer", NULL);
		return;
	}
	send_body(req, status, "application/json", text, strlen(text));
	free(text);
}

void bpci__http_reply_error(bpci__http_req *req, int status, const char *code,
			    const char *message, const char *field)
{
	static const char oom[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
	json_t *err = json_pack("{s:s, s:s}", "code", code ? code : "error", "message",
				message ? message : "");
	json_t *doc = NULL;
	char *text = NULL;

	if (err && field)
		json_object_set_new(err, "field", json_string(field));
	if (err)
		doc = json_pack("{s:o}", "error", err); /* steals err, even on failure */
	if (doc)
		text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	send_body(req, status, "application/json", text ? text : oom,
		  text ? strlen(text) : sizeof(oom) - 1);
	free(text);
}

void bpci__http_req_drop_all(bpci__http_server *srv)
{
	bpci__http_req *req;

	srv->dropping = 1;
	for (req = srv->live; req; req = req->next) {
		if (req->streaming && !req->evcon_dead && req->evcon)
			evhttp_connection_set_closecb(req->evcon, NULL, NULL);
		if (req->watch) {
			event_free(req->watch);
			req->watch = NULL;
		}
		/* evhttp_free frees a request with its connection; one already
		 * detached from its (gone) connection is ours to free. */
		if (req->ev && !evhttp_request_get_connection(req->ev))
			evhttp_request_free(req->ev);
		req->ev = NULL;
	}
	for (req = srv->live; req; req = req->next) {
		if (req->streaming && !req->gone && req->gone_cb) {
			req->gone = 1;
			req->gone_cb(req, req->gone_payload);
		}
	}
	while (srv->live)
		req_free(srv->live);
	srv->dropping = 0;
}
