/*
 * Internal to the HTTP server files (http_server.c: listener and dispatch;
 * http_route.c: routing table; http_reply.c: requests, answers, streams).
 */
#ifndef BPCI_LIB_RUNTIME_HTTP_SERVER_INTERNAL_H
#define BPCI_LIB_RUNTIME_HTTP_SERVER_INTERNAL_H

#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "runtime/http_server.h"

typedef struct bpci__http_route_entry {
	unsigned int method;  /* one EVHTTP_REQ_* bit */
	char **segs;          /* literal text, or "{name}" */
	size_t nsegs;
	bpci__http_handler handler;
	void *payload;
} bpci__http_route_entry;

typedef struct bpci__http_param {
	const char *name;     /* borrowed from the route, without braces */
	char *value;          /* decoded, owned */
} bpci__http_param;

struct bpci__http_server {
	struct event_base *base;
	struct evhttp *http;
	char *token;
	size_t token_len;
	char url[80];
	uint16_t port;
	struct timeval timeout;  /* per connection, read and write */
	bpci__http_route_entry *routes;
	size_t nroutes, cap_routes;
	bpci__http_req *live;  /* requests not yet answered */
	bpci__http_answer_cb on_answer; /* every answer, before it is sent */
	void *answer_payload;
	int dropping;          /* teardown: answers do not release requests */
};

struct bpci__http_req {
	bpci__http_server *srv;
	struct evhttp_request *ev;  /* NULL once the server dropped it */
	const char *method;
	const char *path;
	char *path_copy;
	struct evkeyvalq query;
	int query_parsed;
	bpci__http_param *params;
	size_t nparams;
	char *body;
	size_t body_len;
	/* Stream state. */
	int streaming;
	int gone;                   /* the client went away (callback ran) */
	int evcon_dead;             /* libevent freed the connection */
	struct evhttp_connection *evcon;
	struct event *watch;        /* read watcher noticing a closed peer */
	bpci__http_gone_cb gone_cb;
	bpci__http_drain_cb drain_cb;
	void *gone_payload;
	int released;               /* answered during teardown */
	bpci__http_req *prev, *next;
};

/* http_route.c */
unsigned int bpci__http_method_bit(const char *method);
const char *bpci__http_method_name(unsigned int bit);
/* Frees a route's segments. */
void bpci__http_route_clear(bpci__http_route_entry *r);
/*
 * Finds the route for @req (method and path_copy set; path_copy is split
 * in place). *out is the route, or NULL with *allowed set to the methods
 * whose routes match the path (0: none does). Fills req->params on a
 * match. Returns 0, BPCI_EINVAL (a parameter decodes to a NUL byte) or
 * BPCI_ENOMEM.
 */
int bpci__http_route_find(bpci__http_server *srv, bpci__http_req *req,
			 const bpci__http_route_entry **out, unsigned int *allowed);

/* http_reply.c */
/* Creates the request object for @ev and links it as live; NULL on ENOMEM. */
bpci__http_req *bpci__http_req_new(bpci__http_server *srv, struct evhttp_request *ev);
/* Releases @req after its answer (deferred during teardown). */
void bpci__http_req_done(bpci__http_req *req);
/* Server teardown: calls gone callbacks and releases every live request. */
void bpci__http_req_drop_all(bpci__http_server *srv);

#endif
