/*
 * The daemon tree routes of a coordinator: children join and send
 * heartbeats here, report escalations, and anyone may read this daemon's
 * subtree (the API tokens in it only with this daemon's bearer token).
 * The tree's root tells a joined daemon its new parent (POST
 * /api/daemon-tree/parent) when its old one was removed or it was moved.
 */
#include <string.h>

#include <jansson.h>

#include "api/api_tree.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/daemon_internal.h"

typedef int (*post_fn)(char **reply, bpci_coordinator *c, const char *body, size_t len,
		       bpci_diag *diag);

static void post(bpci__http_req *req, bpci_server *srv, post_fn fn, const char *what)
{
	bpci_diag *diag = NULL;
	size_t len = 0;
	const char *body = bpci__http_req_body(req, &len);
	char *reply = NULL;
	int rc;

	if (bpci_diag_new(&diag) != 0) {
		bpci__http_reply_error(req, 500, "internal", "out of memory", NULL);
		return;
	}
	rc = fn(&reply, srv->c, body, len, diag);
	if (rc == 0)
		bpci__api_reply_text_json(req, 200, reply);
	else
		bpci__api_reply_diag(req, rc, diag, what);
	bpci_diag_free(diag);
}

static void on_join(bpci__http_req *req, void *payload)
{
	post(req, payload, bpci_coordinator_daemon_join, "the join was refused");
}

static void on_heartbeat(bpci__http_req *req, void *payload)
{
	post(req, payload, bpci_coordinator_daemon_heartbeat, "the heartbeat was refused");
}

static int escalation(char **reply, bpci_coordinator *c, const char *body, size_t len,
		      bpci_diag *diag)
{
	int rc = bpci_coordinator_daemon_escalation(c, body, len, diag);

	*reply = rc == 0 ? bpci__strdup("{\"logged\":true}") : NULL;
	return rc == 0 && !*reply ? BPCI_ENOMEM : rc;
}

static void on_escalate(bpci__http_req *req, void *payload)
{
	post(req, payload, escalation, "the escalation report was refused");
}

static void on_parent(bpci__http_req *req, void *payload)
{
	post(req, payload, bpci__coordinator_daemon_reparent, "the new parent was refused");
}

/* The caller showed this daemon's bearer token. */
static int authorized(bpci__http_req *req, const bpci_server *srv)
{
	const char *h = bpci__http_req_header(req, "Authorization");

	return h && srv->token && *srv->token && strncmp(h, "Bearer ", 7) == 0 &&
	       strcmp(h + 7, srv->token) == 0;
}

static void strip(json_t *e)
{
	json_t *kids = json_object_get(e, "children"), *k;
	size_t i;

	json_object_del(e, "token");
	json_array_foreach(kids, i, k)
		strip(k);
}

static void on_status(bpci__http_req *req, void *payload)
{
	bpci_server *srv = payload;
	char *text = NULL;
	json_t *tree;
	int rc = bpci_coordinator_daemon_tree_json(&text, srv->c);

	if (rc == BPCI_EINVAL) {
		bpci__http_reply_error(req, 404, "not_found",
				       "this coordinator is not a daemon of a tree (started "
				       "without --daemon-id)", NULL);
		return;
	}
	if (rc != 0 || authorized(req, srv)) {
		bpci__api_reply_text_json(req, 200, text);
		return;
	}
	tree = json_loads(text, 0, NULL);
	bpci__free(text);
	if (tree)
		strip(tree);
	bpci__http_reply_json(req, 200, tree);
}

int bpci__api_routes_tree(bpci_server *srv)
{
	int rc = bpci__http_route(srv->http, "POST", "/api/daemon-tree/join", on_join, srv);

	if (rc == 0)
		rc = bpci__http_route(srv->http, "POST", "/api/daemon-tree/heartbeat", on_heartbeat,
				      srv);
	if (rc == 0)
		rc = bpci__http_route(srv->http, "POST", "/api/daemon-tree/escalate", on_escalate,
				      srv);
	if (rc == 0)
		rc = bpci__http_route(srv->http, "GET", "/api/daemon-tree/status", on_status, srv);
	if (rc == 0)
		rc = bpci__http_route(srv->http, "POST", "/api/daemon-tree/parent", on_parent, srv);
	return rc;
}
