/*
 * Internal: the HTTP/1.1 API server of the daemons (node coordinator,
 * cluster manager), on libevent's evhttp, bound to the caller's event_base.
 *
 * One server serves one event loop; every function here must be called
 * from the thread that runs that loop. Handlers are plain callbacks that
 * answer a request exactly once, either before they return or later from
 * the same loop (an asynchronous answer, or a stream).
 *
 * Errors that the server answers by itself use the JSON error shape
 * {"error":{"code":"...","message":"...","field":"..."}}: 404 not_found,
 * 405 method_not_allowed (with Allow), 401 unauthorized (with
 * WWW-Authenticate), 400 bad_request for a query string or path that does
 * not decode. Requests that libevent rejects before they are complete
 * (malformed request line or headers, headers over the limit, a body over
 * the limit) get libevent's own short reply (400 or 413) or a closed
 * connection.
 *
 * Not done: a cap on simultaneous connections. libevent 2.1 has no
 * evhttp_set_max_connections (it arrived in 2.2); the read/write timeout
 * bounds how long an idle or slow connection can hold its descriptor.
 */
#ifndef BPCI_LIB_RUNTIME_HTTP_SERVER_H
#define BPCI_LIB_RUNTIME_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bpci/error.h"

struct event_base;

typedef struct bpci__http_server bpci__http_server;
typedef struct bpci__http_req bpci__http_req;

typedef struct bpci__http_server_opts {
	unsigned int version;
	/* "HOST:PORT", "[V6]:PORT"; port 0 picks a free port. NULL gives
	 * "127.0.0.1:8080". The host must be numeric or "localhost". */
	const char *listen;
	size_t max_body;          /* bytes; 0 gives 1 MiB; larger bodies get 413 */
	size_t max_headers;       /* bytes of request line + headers; 0 gives 64 KiB */
	unsigned int timeout_ms;  /* read/write timeout per connection; 0 gives 10 s */
	/* Bearer token required by POST, PUT, PATCH and DELETE; NULL or ""
	 * leaves every method open. Copied. */
	const char *token;
} bpci__http_server_opts;

#define BPCI__HTTP_SERVER_OPTS_VERSION 1
#define BPCI__HTTP_SERVER_OPTS_INIT {BPCI__HTTP_SERVER_OPTS_VERSION, NULL, 0, 0, 0, NULL}

#define BPCI__HTTP_DEFAULT_MAX_BODY ((size_t)1 << 20)
#define BPCI__HTTP_DEFAULT_MAX_HEADERS ((size_t)64 << 10)
#define BPCI__HTTP_DEFAULT_TIMEOUT_MS 10000u

/*
 * Binds the listening socket and registers the server with @base.
 * @opts may be NULL (defaults). Returns 0, BPCI_EINVAL (field "listen":
 * malformed address), BPCI_EBUSY (address in use), BPCI_EIO (other socket
 * errors, errno text in the message) or BPCI_ENOMEM. Free with
 * bpci__http_server_free() before freeing @base.
 *
 * Writing to a client that went away raises SIGPIPE; when SIGPIPE is at its
 * default disposition this function sets it to SIG_IGN (process-wide) so
 * that a vanished client cannot kill the daemon.
 */
int bpci__http_server_new(bpci__http_server **out, struct event_base *base,
			  const bpci__http_server_opts *opts, bpci_diag *diag);

/*
 * Closes the listener and every connection. Requests still unanswered are
 * released: streams first get their gone callback, so producers must drop
 * their bpci__http_req pointers there; any other pointer to an unanswered
 * request becomes invalid. NULL is a no-op.
 */
void bpci__http_server_free(bpci__http_server *srv);

/* "http://127.0.0.1:PORT" or "http://[::1]:PORT" with the bound port.
 * Borrowed, valid until the server is freed. */
const char *bpci__http_server_url(const bpci__http_server *srv);
uint16_t bpci__http_server_port(const bpci__http_server *srv);

/*
 * Handles one request. It must answer exactly once with one of the
 * bpci__http_reply_* functions or bpci__http_stream_start/.../end,
 * now or later from the loop's thread; the answer releases @req.
 */
typedef void (*bpci__http_handler)(bpci__http_req *req, void *payload);

/*
 * Adds a route. @method is GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS
 * (a GET route also answers HEAD). @pattern is an absolute path whose
 * segments are literals or "{name}" parameters, each matching exactly one
 * non-empty segment: "/api/nodes/{id}/logs". Routes are tried in the order
 * added. Returns 0, BPCI_EINVAL (bad method or pattern), or BPCI_ENOMEM.
 */
int bpci__http_route(bpci__http_server *srv, const char *method, const char *pattern,
		     bpci__http_handler handler, void *payload);

/*
 * Called with every answer's status just before it is sent (from the
 * loop's thread), for audit trails: @req's method, path and peer are
 * still readable; the callback must not answer it. Streams report the
 * status they start with.
 */
typedef void (*bpci__http_answer_cb)(const bpci__http_req *req, int status, void *payload);
/* Sets the answer callback (NULL: none). */
void bpci__http_server_on_answer(bpci__http_server *srv, bpci__http_answer_cb cb,
				 void *payload);
/* The client's address "HOST:PORT" ("[V6]:PORT") into @buf; "" when
 * unknown (the connection is gone). Returns @buf. */
const char *bpci__http_req_peer(const bpci__http_req *req, char *buf, size_t cap);

/* The request. Strings are borrowed and valid until the request is answered. */
const char *bpci__http_req_method(const bpci__http_req *req);   /* "GET", ... */
const char *bpci__http_req_path(const bpci__http_req *req);     /* as sent, undecoded */
/* A path parameter, percent-decoded; NULL when the route has no such name. */
const char *bpci__http_req_param(const bpci__http_req *req, const char *name);
/* A query parameter, decoded (first occurrence); NULL when absent. */
const char *bpci__http_req_query(const bpci__http_req *req, const char *name);
/* A request header, case-insensitive; NULL when absent. */
const char *bpci__http_req_header(const bpci__http_req *req, const char *name);
/* The body (NUL-terminated for convenience; *len excludes the NUL). */
const char *bpci__http_req_body(const bpci__http_req *req, size_t *len);

/* Adds a response header to the coming answer ("Location", ...). 0 or BPCI_ENOMEM. */
int bpci__http_reply_header(bpci__http_req *req, const char *name, const char *value);

/*
 * Answers with @json as application/json and releases @req. The reference
 * to @json is stolen (as json_object_set_new does); NULL @json answers 500.
 */
void bpci__http_reply_json(bpci__http_req *req, int status, json_t *json);

/* Answers with @text (NUL-terminated) of @content_type and releases @req. */
void bpci__http_reply_text(bpci__http_req *req, int status, const char *content_type,
			   const char *text);

/*
 * Answers with @len bytes at @data, handing the buffer itself to the
 * connection (no copy); it is released with bpci__free() once sent or
 * dropped. Releases @req. NULL @data answers 500.
 */
void bpci__http_reply_take(bpci__http_req *req, int status, const char *content_type,
			   char *data, size_t len);

/*
 * Answers {"error":{"code":@code,"message":@message,"field":@field}}
 * (no "field" when @field is NULL) and releases @req.
 */
void bpci__http_reply_error(bpci__http_req *req, int status, const char *code,
			    const char *message, const char *field);

/*
 * Called once when the client of a stream goes away (closed, reset, or
 * timed out) or the server is being freed. The producer stops and ends
 * the stream with bpci__http_stream_end(), from inside this callback or
 * later; during server teardown ending it is optional (the request is
 * released right after the callback either way).
 */
typedef void (*bpci__http_gone_cb)(bpci__http_req *req, void *payload);

/*
 * Starts a chunked answer (plain body for HTTP/1.0 clients) and watches
 * the connection so that @gone runs as soon as the client disconnects.
 * Returns 0 or BPCI_EUNREACHABLE when the client is already gone (then
 * @req is still to be ended).
 */
int bpci__http_stream_start(bpci__http_req *req, int status, const char *content_type,
			    bpci__http_gone_cb gone, void *payload);
/* Sends one chunk (len > 0). 0, or BPCI_EUNREACHABLE once the client is gone. */
int bpci__http_stream_chunk(bpci__http_req *req, const void *data, size_t len);
/*
 * Bytes of the stream waiting in the connection's output buffer (not yet
 * taken by the kernel); 0 once the client is gone. A producer that can
 * outrun its client stops sending above its own limit and resumes from
 * the drain callback.
 */
size_t bpci__http_stream_pending(const bpci__http_req *req);
/* Called each time the output buffer of the stream has been written out
 * completely (never after the client left or the stream ended). */
typedef void (*bpci__http_drain_cb)(bpci__http_req *req, void *payload);
/* Sets the drain callback (NULL: none); the payload is the gone payload. */
void bpci__http_stream_on_drain(bpci__http_req *req, bpci__http_drain_cb drained);
/* Ends the stream and releases @req. */
void bpci__http_stream_end(bpci__http_req *req);
/* 1 when the client of @req has gone away. */
int bpci__http_req_gone(const bpci__http_req *req);

#endif
