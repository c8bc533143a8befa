/*
 * The service's HTTP side: the route table, the request/response handed to
 * route handlers, the built-in /health and /metrics, and the evhttp server
 * on 127.0.0.1.
 *
 * libevent's evhttp does the protocol work (parsing, keep-alive, limits,
 * timeouts); this file only dispatches on exact method and path.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "service_internal.h"

#define MAX_BODY (1024 * 1024)
#define MAX_HEADERS (16 * 1024)
#define IO_TIMEOUT_S 10
#define MAX_PATH 1024

struct bpci_service_request {
	const char *method;
	const char *path;
	struct evhttp_request *r;
	struct evkeyvalq query;
	int query_parsed;
};

struct bpci_service_response {
	int status;
	int set;
	char *content_type;
	char *body;
	size_t len;
};

static const struct {
	const char *name;
	enum evhttp_cmd_type cmd;
} methods[] = {
	{"GET", EVHTTP_REQ_GET},       {"POST", EVHTTP_REQ_POST},
	{"PUT", EVHTTP_REQ_PUT},       {"DELETE", EVHTTP_REQ_DELETE},
	{"PATCH", EVHTTP_REQ_PATCH},   {"HEAD", EVHTTP_REQ_HEAD},
	{"OPTIONS", EVHTTP_REQ_OPTIONS},
};

static const char *method_name(enum evhttp_cmd_type cmd)
{
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i].cmd == cmd)
			return methods[i].name;
	return "OTHER";
}

static int valid_path(const char *path)
{
	const unsigned char *p = (const unsigned char *)path;

	if (!path || path[0] != '/' || strlen(path) > MAX_PATH)
		return 0;
	for (; *p; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '?' || *p == '#')
			return 0;
	return 1;
}

int bpci_service_route(bpci_service *svc, const char *method, const char *path,
		       bpci_service_route_cb cb, void *payload)
{
	bpci__service_route *rt;
	size_t i;
	int known = 0;

	for (i = 0; method && i < sizeof(methods) / sizeof(methods[0]) - 1; i++)
		known |= strcmp(methods[i].name, method) == 0;
	if (!known || !valid_path(path) || !cb)
		return BPCI_EINVAL;
	for (i = 0; i < svc->nroutes; i++)
		if (strcmp(svc->routes[i].method, method) == 0 &&
		    strcmp(svc->routes[i].path, path) == 0)
			return BPCI_EEXISTS;
	if (bpci__grow((void **)&svc->routes, &svc->routes_cap, svc->nroutes + 1,
		       sizeof(*svc->routes)) < 0)
		return BPCI_ENOMEM;
	rt = &svc->routes[svc->nroutes];
	rt->method = bpci__strdup(method);
	rt->path = bpci__strdup(path);
	if (!rt->method || !rt->path) {
		bpci__free(rt->method);
		bpci__free(rt->path);
		return BPCI_ENOMEM;
	}
	rt->cb = cb;
	rt->payload = payload;
	svc->nroutes++;
	return 0;
}

const char *bpci_service_request_method(const bpci_service_request *req)
{
	return req->method;
}

const char *bpci_service_request_path(const bpci_service_request *req)
{
	return req->path;
}

const char *bpci_service_request_query(const bpci_service_request *req, const char *name)
{
	/* Parsed on first use; the request is const to the handler, not to us. */
	bpci_service_request *q = (bpci_service_request *)req;
	const char *raw;

	if (!q->query_parsed) {
		q->query_parsed = 1;
		raw = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(q->r));
		if (raw && evhttp_parse_query_str(raw, &q->query) < 0)
			evhttp_clear_headers(&q->query);
	}
	return evhttp_find_header(&q->query, name);
}

const char *bpci_service_request_header(const bpci_service_request *req, const char *name)
{
	return evhttp_find_header(evhttp_request_get_input_headers(req->r), name);
}

const char *bpci_service_request_body(const bpci_service_request *req, size_t *len)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req->r);

	*len = evbuffer_get_length(in);
	return *len ? (const char *)evbuffer_pullup(in, -1) : "";
}

int bpci_service_respond(bpci_service_response *res, int status, const char *content_type,
			 const char *body, size_t len)
{
	char *ct, *b;

	if (status < 100 || status > 599 || (!body && len))
		return BPCI_EINVAL;
	ct = bpci__strdup(content_type ? content_type : "application/json");
	b = bpci__malloc(len + 1);
	if (!ct || !b) {
		bpci__free(ct);
		bpci__free(b);
		return BPCI_ENOMEM;
	}
	if (len)
		memcpy(b, body, len);
	b[len] = '\0';
	bpci__free(res->content_type);
	bpci__free(res->body);
	res->content_type = ct;
	res->body = b;
	res->len = len;
	res->status = status;
	res->set = 1;
	return 0;
}

/* Respond with the JSON error shape {"error":{"code","message"}}. */
static int respond_error(bpci_service_response *res, int status, const char *code,
			 const char *message)
{
	json_t *j = json_pack("{s:{s:s,s:s}}", "error", "code", code, "message", message);
	char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
	int rc = text ? bpci_service_respond(res, status, NULL, text, strlen(text))
		      : BPCI_ENOMEM;

	free(text);
	json_decref(j);
	return rc;
}

static int health(bpci_service_response *res, const bpci_service_request *req, void *payload)
{
	const bpci_service *svc = payload;
	double up = bpci__service_uptime(svc);
	json_t *j;
	char *text;
	int rc;

	(void)req;
	j = json_pack("{s:s,s:s,s:s,s:f}", "status", "ok", "id", svc->id, "type",
		      bpci_node_type_name(svc->type), "uptime_seconds",
		      (double)(long long)(up * 1000.0) / 1000.0);
	text = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
	rc = text ? bpci_service_respond(res, 200, NULL, text, strlen(text)) : BPCI_ENOMEM;
	free(text);
	json_decref(j);
	return rc;
}

static int metrics(bpci_service_response *res, const bpci_service_request *req, void *payload)
{
	char *text;
	size_t len;
	int rc;

	(void)req;
	rc = bpci__service_metrics_text(&text, &len, payload);
	if (rc != 0)
		return rc;
	rc = bpci_service_respond(res, 200, "text/plain; version=0.0.4; charset=utf-8", text,
				  len);
	bpci__free(text);
	return rc;
}

int bpci__service_builtin_routes(bpci_service *svc)
{
	int rc = bpci_service_route(svc, "GET", "/health", health, svc);

	return rc ? rc : bpci_service_route(svc, "GET", "/metrics", metrics, svc);
}

void bpci__service_count_request(bpci_service *svc, const char *path, int code)
{
	size_t i;

	for (i = 0; i < svc->ncounts; i++)
		if (svc->counts[i].code == code && strcmp(svc->counts[i].path, path) == 0) {
			svc->counts[i].n++;
			return;
		}
	/* Out of memory: the request goes uncounted rather than failing. */
	if (bpci__grow((void **)&svc->counts, &svc->counts_cap, svc->ncounts + 1,
		       sizeof(*svc->counts)) < 0)
		return;
	svc->counts[svc->ncounts].path = path;
	svc->counts[svc->ncounts].code = code;
	svc->counts[svc->ncounts].n = 1;
	svc->ncounts++;
}

/* Find the route for @method @path; *path_known tells whether any method
 * serves the path (for 405 against 404). HEAD falls back to GET. */
static const bpci__service_route *find_route(const bpci_service *svc, const char *method,
					     const char *path, int *path_known)
{
	const bpci__service_route *get = NULL;
	size_t i;

	*path_known = 0;
	for (i = 0; i < svc->nroutes; i++) {
		const bpci__service_route *rt = &svc->routes[i];

		if (strcmp(rt->path, path) != 0)
			continue;
		*path_known = 1;
		if (strcmp(rt->method, method) == 0)
			return rt;
		if (strcmp(rt->method, "GET") == 0)
			get = rt;
	}
	return strcmp(method, "HEAD") == 0 ? get : NULL;
}

static void add_allow(const bpci_service *svc, struct evhttp_request *r, const char *path)
{
	char allow[64] = "";
	size_t i, n = 0;

	for (i = 0; i < svc->nroutes; i++)
		if (strcmp(svc->routes[i].path, path) == 0 &&
		    n + strlen(svc->routes[i].method) + 3 < sizeof(allow))
			n += (size_t)snprintf(allow + n, sizeof(allow) - n, "%s%s",
					      n ? ", " : "", svc->routes[i].method);
	evhttp_add_header(evhttp_request_get_output_headers(r), "Allow", allow);
}

static void send_response(struct evhttp_request *r, bpci_service_response *res)
{
	struct evbuffer *buf = evbuffer_new();

	if (!buf) {
		evhttp_send_error(r, 500, NULL);
		return;
	}
	if (res->status != 204 && res->status != 304) {
		evhttp_add_header(evhttp_request_get_output_headers(r), "Content-Type",
				  res->content_type);
		evbuffer_add(buf, res->body, res->len);
	}
	evhttp_send_reply(r, res->status, NULL, buf);
	evbuffer_free(buf);
}

/* Run the route's handler and turn what it did into @res. */
static void call_route(bpci_service_response *res, const bpci__service_route *rt,
		       bpci_service_request *req)
{
	bpci_service_route_cb cb = rt->cb;
	int rc = cb(res, req, rt->payload);

	if (rc != 0) {
		char msg[160];

		res->set = 0;
		snprintf(msg, sizeof(msg), "the handler of %s %s failed: %s", req->method,
			 req->path, bpci_strerror(rc < 0 ? rc : BPCI_ERROR));
		respond_error(res, 500, "internal", msg);
	} else if (!res->set) {
		res->status = 204;
	}
}

/* The path a known path is counted under: a route's own copy, which
 * lives as long as the handle (routes are never removed). */
static const char *route_path(const bpci_service *svc, const char *path)
{
	size_t i;

	for (i = 0; i < svc->nroutes; i++)
		if (strcmp(svc->routes[i].path, path) == 0)
			return svc->routes[i].path;
	return "unmatched";
}

static void dispatch(struct evhttp_request *r, void *arg)
{
	bpci_service *svc = arg;
	const char *raw = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(r));
	char *path = evhttp_uridecode(raw && *raw ? raw : "/", 0, NULL);
	bpci_service_request req = {0};
	bpci_service_response res = {0};
	const bpci__service_route *rt;
	int known;

	if (!path) {
		evhttp_send_error(r, 500, NULL);
		bpci__service_count_request(svc, "unmatched", 500);
		return;
	}
	req.method = method_name(evhttp_request_get_command(r));
	req.path = path;
	req.r = r;
	TAILQ_INIT(&req.query);
	rt = find_route(svc, req.method, path, &known);
	if (rt) {
		call_route(&res, rt, &req);
	} else if (known) {
		char msg[80];

		snprintf(msg, sizeof(msg), "method %s is not allowed here", req.method);
		add_allow(svc, r, path);
		respond_error(&res, 405, "method_not_allowed", msg);
	} else {
		respond_error(&res, 404, "not_found", "no such path");
	}
	if (res.set || res.status == 204)
		send_response(r, &res);
	else /* out of memory while building the response */
		evhttp_send_error(r, res.status = 500, NULL);
	bpci__service_count_request(svc, route_path(svc, path), res.status);
	if (req.query_parsed)
		evhttp_clear_headers(&req.query);
	bpci__free(res.content_type);
	bpci__free(res.body);
	free(path);
}

/* A listening socket on 127.0.0.1:@port; the diag names the port when it
 * is taken. SO_REUSEADDR lets a restarted node bind while connections of
 * its predecessor linger in TIME_WAIT; an active listener still refuses. */
static int listen_local(int *out, unsigned int port, bpci_diag *diag)
{
	struct sockaddr_in sa = {0};
	int one = 1, e;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "port",
				      "socket: %s", strerror(errno));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 128) < 0) {
		e = errno;
		close(fd);
		if (e == EADDRINUSE)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EBUSY, "port",
					      "127.0.0.1:%u is already in use by another "
					      "program; choose another port", port);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "port",
				      "cannot listen on 127.0.0.1:%u: %s", port, strerror(e));
	}
	*out = fd;
	return 0;
}

int bpci__service_http_start(bpci_service *svc, bpci_diag *diag)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	int fd = -1, rc = listen_local(&fd, svc->port, diag);

	if (rc != 0)
		return rc;
	if (getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EIO, "port",
				    "getsockname: %s", strerror(errno));
		close(fd);
		return rc;
	}
	svc->http = evhttp_new(svc->base);
	if (!svc->http || !evhttp_accept_socket_with_handle(svc->http, fd)) {
		close(fd);
		bpci__service_http_stop(svc);
		return BPCI_ENOMEM;
	}
	svc->port = ntohs(sa.sin_port);
	evhttp_set_gencb(svc->http, dispatch, svc);
	evhttp_set_max_body_size(svc->http, MAX_BODY);
	evhttp_set_max_headers_size(svc->http, MAX_HEADERS);
	evhttp_set_timeout(svc->http, IO_TIMEOUT_S);
	evhttp_set_allowed_methods(svc->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST |
					      EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
					      EVHTTP_REQ_PATCH | EVHTTP_REQ_HEAD |
					      EVHTTP_REQ_OPTIONS);
	return 0;
}

void bpci__service_http_stop(bpci_service *svc)
{
	if (svc->http)
		evhttp_free(svc->http);
	svc->http = NULL;
}
