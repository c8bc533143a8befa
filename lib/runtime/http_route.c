/*
 * The HTTP server's routing table: method + path pattern with "{name}"
 * segments. A handful of routes per daemon, so a linear scan over split
 * patterns is both the simplest and fast enough (no allocation unless a
 * route matches and has parameters).
 */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/http_server_internal.h"

static const struct {
	const char *name;
	unsigned int bit;
} methods[] = {
	{"GET", EVHTTP_REQ_GET},       {"HEAD", EVHTTP_REQ_HEAD},
	{"POST", EVHTTP_REQ_POST},     {"PUT", EVHTTP_REQ_PUT},
	{"PATCH", EVHTTP_REQ_PATCH},   {"DELETE", EVHTTP_REQ_DELETE},
	{"OPTIONS", EVHTTP_REQ_OPTIONS},
};

unsigned int bpci__http_method_bit(const char *method)
{
	size_t i;

	for (i = 0; method && i < sizeof(methods) / sizeof(methods[0]); i++)
		if (strcmp(methods[i].name, method) == 0)
			return methods[i].bit;
	return 0;
}

const char *bpci__http_method_name(unsigned int bit)
{
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i].bit == bit)
			return methods[i].name;
	return NULL;
}

void bpci__http_route_clear(bpci__http_route_entry *r)
{
	size_t i;

	for (i = 0; i < r->nsegs; i++)
		bpci__free(r->segs[i]);
	bpci__free(r->segs);
	r->segs = NULL;
	r->nsegs = 0;
}

/* Parameters are stored as "{name" (the closing brace dropped). */
static int is_param(const char *seg)
{
	return seg[0] == '{';
}

/* Checks a pattern segment; turns "{name}" into "{name". */
static int check_segment(char *seg)
{
	size_t n = strlen(seg);

	if (!strpbrk(seg, "{}"))
		return 0;
	if (n < 3 || seg[0] != '{' || seg[n - 1] != '}' || strpbrk(seg + 1, "{}") != seg + n - 1)
		return BPCI_EINVAL;
	seg[n - 1] = '\0';
	return 0;
}

/* Splits "/a/{b}/c" into its segments; "/" has none. */
static int split_pattern(bpci__http_route_entry *r, const char *pattern)
{
	const char *p = pattern + 1, *slash;
	size_t cap = 0;

	while (*p) {
		slash = strchr(p, '/');
		if (!slash)
			slash = p + strlen(p);
		if (slash == p)
			return BPCI_EINVAL;
		if (bpci__grow((void **)&r->segs, &cap, r->nsegs + 1, sizeof(char *)) < 0)
			return BPCI_ENOMEM;
		r->segs[r->nsegs] = bpci__strndup(p, (size_t)(slash - p));
		if (!r->segs[r->nsegs])
			return BPCI_ENOMEM;
		r->nsegs++;
		if (check_segment(r->segs[r->nsegs - 1]) < 0)
			return BPCI_EINVAL;
		p = *slash ? slash + 1 : slash;
		if (*slash && !*p)
			return BPCI_EINVAL; /* trailing slash */
	}
	return 0;
}

int bpci__http_route(bpci__http_server *srv, const char *method, const char *pattern,
		     bpci__http_handler handler, void *payload)
{
	bpci__http_route_entry r = {0};
	int rc;

	r.method = bpci__http_method_bit(method);
	if (!srv || !r.method || !handler || !pattern || pattern[0] != '/')
		return BPCI_EINVAL;
	r.handler = handler;
	r.payload = payload;
	rc = split_pattern(&r, pattern);
	if (rc == 0 && bpci__grow((void **)&srv->routes, &srv->cap_routes, srv->nroutes + 1,
				  sizeof(r)) < 0)
		rc = BPCI_ENOMEM;
	if (rc < 0) {
		bpci__http_route_clear(&r);
		return rc;
	}
	srv->routes[srv->nroutes++] = r;
	return 0;
}

/* Splits the request path in place (the copy belongs to the request). */
static size_t split_path(char *path, char **segs, size_t max)
{
	size_t n = 0;
	char *p = path, *slash;

	if (*p != '/')
		return (size_t)-1;
	p++;
	if (!*p)
		return 0;
	for (;;) {
		if (n == max)
			return (size_t)-1;
		segs[n++] = p;
		slash = strchr(p, '/');
		if (!slash)
			return n;
		*slash = '\0';
		p = slash + 1;
	}
}

static int path_matches(const bpci__http_route_entry *r, char **segs, size_t n)
{
	size_t i;

	if (r->nsegs != n)
		return 0;
	for (i = 0; i < n; i++) {
		if (is_param(r->segs[i])) {
			if (!segs[i][0])
				return 0;
		} else if (strcmp(r->segs[i], segs[i]) != 0) {
			return 0;
		}
	}
	return 1;
}

static int fill_params(bpci__http_req *req, const bpci__http_route_entry *r, char **segs)
{
	size_t i, count = 0;

	for (i = 0; i < r->nsegs; i++)
		count += (size_t)is_param(r->segs[i]);
	if (!count)
		return 0;
	req->params = bpci__calloc(count, sizeof(*req->params));
	if (!req->params)
		return BPCI_ENOMEM;
	for (i = 0; i < r->nsegs; i++) {
		bpci__http_param *prm;
		char *dec;
		size_t len = 0;

		if (!is_param(r->segs[i]))
			continue;
		prm = &req->params[req->nparams];
		prm->name = r->segs[i] + 1;
		/* evhttp_uridecode allocates with libevent's allocator. */
		dec = evhttp_uridecode(segs[i], 0, &len);
		if (!dec)
			return BPCI_ENOMEM;
		if (strlen(dec) != len) { /* "%00" */
			free(dec);
			return BPCI_EINVAL;
		}
		prm->value = bpci__strdup(dec);
		free(dec);
		if (!prm->value)
			return BPCI_ENOMEM;
		req->nparams++;
	}
	return 0;
}

#define MAX_SEGS 32

int bpci__http_route_find(bpci__http_server *srv, bpci__http_req *req,
			 const bpci__http_route_entry **out, unsigned int *allowed)
{
	char *segs[MAX_SEGS];
	size_t n, i;
	unsigned int bit = bpci__http_method_bit(req->method);

	*out = NULL;
	*allowed = 0;
	n = split_path(req->path_copy, segs, MAX_SEGS);
	if (n == (size_t)-1)
		return 0; /* too deep to match any route: 404 */
	if (bit == EVHTTP_REQ_HEAD)
		bit = EVHTTP_REQ_GET;
	for (i = 0; i < srv->nroutes; i++) {
		const bpci__http_route_entry *r = &srv->routes[i];

		if (!path_matches(r, segs, n))
			continue;
		if (r->method != bit) {
			*allowed |= r->method;
			continue;
		}
		*out = r;
		return fill_params(req, r, segs);
	}
	return 0;
}

const char *bpci__http_req_param(const bpci__http_req *req, const char *name)
{
	size_t i;

	for (i = 0; req && name && i < req->nparams; i++)
		if (strcmp(req->params[i].name, name) == 0)
			return req->params[i].value;
	return NULL;
}
