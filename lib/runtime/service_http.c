/*
 * The service's HTTP side: the route table, the request/response handed to
 * route handlers, the built-in /health and /metrics, and the server on
 * 127.0.0.1 (runtime/http_server.h, which does the protocol work, limits,
 * timeouts and the 404/405 answers).
 *
 * Routes live in the service handle, so that a program can add them before
 * the server exists; bpci__service_http_start() hands them to the server,
 * and a route added while it runs goes to the server at once.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/http_server.h"
#include "service_internal.h"

#define MAX_PATTERN 1024

struct bpci_service_request {
	bpci__http_req *req;
};

struct bpci_service_response {
	int status;
	int set;
	char *content_type;
	char *body;
};

static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"};

/* "/a/{id}/b": non-empty segments, each a literal or a whole "{name}". */
static int valid_pattern(const char *pattern)
{
	const unsigned char *p = (const unsigned char *)pattern;
	size_t seg = 0;
	int brace = 0;

	if (!pattern || pattern[0] != '/' || strlen(pattern) > MAX_PATTERN)
		return 0;
	if (pattern[1] == '\0')
		return 1;
	for (p++;; p++) {
		if (*p == '/' || *p == '\0') {
			if (seg == 0 || brace == 1 || (brace == 2 && p[-1] != '}'))
				return 0;
			if (*p == '\0')
				return 1;
			seg = 0;
			brace = 0;
			continue;
		}
		if (*p <= ' ' || *p == 0x7f || *p == '?' || *p == '#')
			return 0;
		if (*p == '{') {
			if (seg != 0)
				return 0;
			brace = 1;
		} else if (*p == '}') {
			if (brace != 1 || seg < 2 || (p[1] != '/' && p[1] != '\0'))
				return 0;
			brace = 2;
		}
		seg++;
	}
}

static void on_request(bpci__http_req *hreq, void *payload);

int bpci_service_route(bpci_service *svc, const char *method, const char *path,
		       bpci_service_route_cb cb, void *payload)
{
	bpci__service_route *rt;
	size_t i;
	int known = 0, rc;

	for (i = 0; method && i < sizeof(methods) / sizeof(methods[0]); i++)
		known |= strcmp(methods[i], method) == 0;
	if (!known || !valid_pattern(path) || !cb)
		return BPCI_EINVAL;
	for (i = 0; i < svc->nroutes; i++)
		if (strcmp(svc->routes[i]->method, method) == 0 &&
		    strcmp(svc->routes[i]->path, path) == 0)
			return BPCI_EEXISTS;
	if (bpci__grow((void **)&svc->routes, &svc->routes_cap, svc->nroutes + 1,
		       sizeof(*svc->routes)) < 0)
		return BPCI_ENOMEM;
	/* Each route is its own allocation: the server keeps a pointer to it
	 * as the handler's payload, which must survive the table growing. */
	rt = bpci__calloc(1, sizeof(*rt));
	if (rt) {
		rt->svc = svc;
		rt->method = bpci__strdup(method);
		rt->path = bpci__strdup(path);
	}
	if (!rt || !rt->method || !rt->path) {
		bpci__service_route_free(rt);
		return BPCI_ENOMEM;
	}
	rt->cb = cb;
	rt->payload = payload;
	if (svc->http) {
		rc = bpci__http_route(svc->http, method, path, on_request, rt);
		if (rc != 0) {
			bpci__service_route_free(rt);
			return rc;
		}
	}
	svc->routes[svc->nroutes++] = rt;
	return 0;
}

void bpci__service_route_free(bpci__service_route *rt)
{
	if (!rt)
		return;
	bpci__free(rt->method);
	bpci__free(rt->path);
	bpci__free(rt);
}

const char *bpci_service_request_method(const bpci_service_request *req)
{
	return bpci__http_req_method(req->req);
}

const char *bpci_service_request_path(const bpci_service_request *req)
{
	return bpci__http_req_path(req->req);
}

const char *bpci_service_request_param(const bpci_service_request *req, const char *name)
{
	return bpci__http_req_param(req->req, name);
}

const char *bpci_service_request_query(const bpci_service_request *req, const char *name)
{
	return bpci__http_req_query(req->req, name);
}

const char *bpci_service_request_header(const bpci_service_request *req, const char *name)
{
	return bpci__http_req_header(req->req, name);
}

const char *bpci_service_request_body(const bpci_service_request *req, size_t *len)
{
	return bpci__http_req_body(req->req, len);
}

int bpci_service_respond(bpci_service_response *res, int status, const char *content_type,
			 const char *body)
{
	char *ct, *b;

	if (status < 200 || status > 599)
		return BPCI_EINVAL;
	ct = bpci__strdup(content_type ? content_type : "application/json");
	b = bpci__strdup(body ? body : "");
	if (!ct || !b) {
		bpci__free(ct);
		bpci__free(b);
		return BPCI_ENOMEM;
	}
	bpci__free(res->content_type);
	bpci__free(res->body);
	res->content_type = ct;
	res->body = b;
	res->status = status;
	res->set = 1;
	return 0;
}

/* Runs the program's handler and answers with what it set. */
static void on_request(bpci__http_req *hreq, void *payload)
{
	bpci__service_route *rt = payload;
	bpci_service *svc = rt->svc;
	bpci_service_request req = {hreq};
	bpci_service_response res = {0};
	int rc = rt->cb(&res, &req, rt->payload), status;

	if (rc != 0) {
		char msg[160];

		snprintf(msg, sizeof(msg), "the handler of %s %s failed: %s", rt->method,
			 rt->path, bpci_strerror(rc < 0 ? rc : BPCI_ERROR));
		status = 500;
		bpci__http_reply_error(hreq, status, "internal", msg, NULL);
	} else if (!res.set) {
		status = 204;
		bpci__http_reply_text(hreq, status, NULL, "");
	} else {
		status = res.status;
		bpci__http_reply_text(hreq, status, res.content_type, res.body);
	}
	bpci__service_count_request(svc, rt->path, status);
	bpci__free(res.content_type);
	bpci__free(res.body);
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
	rc = text ? bpci_service_respond(res, 200, NULL, text) : BPCI_ENOMEM;
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
	rc = bpci_service_respond(res, 200, "text/plain; version=0.0.4; charset=utf-8", text);
	bpci_free(text);
	return rc;
}

int bpci__service_builtin_routes(bpci_service *svc)
{
	int rc = bpci_service_route(svc, "GET", "/health", health, svc);

	return rc ? rc : bpci_service_route(svc, "GET", "/metrics", metrics, svc);
}

int bpci__service_http_start(bpci_service *svc, bpci_diag *diag)
{
	bpci__http_server_opts o = BPCI__HTTP_SERVER_OPTS_INIT;
	bpci_diag *sub = NULL;
	char listen[32];
	size_t i;
	int rc;

	snprintf(listen, sizeof(listen), "127.0.0.1:%u", svc->port);
	o.listen = listen;
	/* The node's user set the port (BPCI_NODE_PORT, an option), so a
	 * taken port is told in those terms rather than the server's. */
	if (bpci_diag_new(&sub) < 0)
		return BPCI_ENOMEM;
	rc = bpci__http_server_new(&svc->http, svc->base, &o, sub);
	if (rc == BPCI_EBUSY)
		bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EBUSY, "port",
			       "127.0.0.1:%u is already in use by another program; "
			       "choose another port (0 picks a free one)", svc->port);
	else
		for (i = 0; i < bpci_diag_count(sub); i++)
			bpci__diag_add(diag, bpci_diag_get(sub, i)->severity,
				       bpci_diag_get(sub, i)->code, bpci_diag_get(sub, i)->field,
				       "%s", bpci_diag_get(sub, i)->message);
	bpci_diag_free(sub);
	if (rc != 0)
		return rc;
	for (i = 0; i < svc->nroutes && rc == 0; i++)
		rc = bpci__http_route(svc->http, svc->routes[i]->method, svc->routes[i]->path,
				      on_request, svc->routes[i]);
	if (rc != 0) {
		bpci__service_http_stop(svc);
		return rc;
	}
	svc->port = bpci__http_server_port(svc->http);
	return 0;
}

void bpci__service_http_stop(bpci_service *svc)
{
	bpci__http_server_free(svc->http);
	svc->http = NULL;
}
