/*
 * The child daemon routes: POST /api/daemons spawns a local child daemon
 * ({"daemon_id","restart","responsibilities","capacity","labels",
 * "remote":false}), DELETE /api/daemons/{id} stops and forgets one, GET
 * /api/daemons lists them. Spawning and signalling do not wait, so the
 * handlers answer at once from the loop.
 *
 * Moving a running local daemon to another parent (daemon_handover.h):
 * GET /api/daemons/{id} gives its handover record, POST /api/daemons
 * {"adopt":RECORD} takes it over here, DELETE /api/daemons/{id}?release=1
 * forgets it without a signal.
 */
#include <string.h>

#include <jansson.h>

#include "api/api_tree.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/daemon_handover.h"

static bpci_diag *new_diag(bpci__http_req *req)
{
	bpci_diag *d = NULL;

	if (bpci_diag_new(&d) != 0) {
		bpci__http_reply_error(req, 500, "internal", "out of memory", NULL);
		return NULL;
	}
	return d;
}

/* The body as a daemon spec ("daemon_id" is the spec's "id") and a
 * restart type (default permanent). */
static int parse_body(bpci_daemon_spec **spec, bpci_child_restart *restart,
		      bpci__http_req *req, bpci_diag *diag)
{
	size_t len = 0;
	const char *body = bpci__http_req_body(req, &len);
	json_error_t err;
	json_t *b = json_loadb(body ? body : "", len, 0, &err), *id;
	char *text;
	int rc = 0;

	*restart = BPCI_CHILD_PERMANENT;
	if (!json_is_object(b)) {
		json_decref(b);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "",
				      "the body must be a JSON object {\"daemon_id\":...}");
	}
	if (json_object_get(b, "restart")) {
		rc = bpci_child_restart_parse(restart,
					      json_string_value(json_object_get(b, "restart")), diag);
		json_object_del(b, "restart");
	}
	id = json_object_get(b, "daemon_id");
	if (rc == 0 && !json_is_string(id))
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "daemon_id",
				    "must be a string naming the new daemon");
	if (rc == 0) {
		json_object_set(b, "id", id);
		json_object_del(b, "daemon_id");
		text = json_dumps(b, JSON_COMPACT);
		rc = text ? bpci_daemon_spec_from_json(spec, text, strlen(text), diag)
			  : BPCI_ENOMEM;
		free(text);
	}
	json_decref(b);
	if (rc == BPCI_ENOTFOUND)
		rc = BPCI_EINVAL; /* an unknown key is a bad request */
	return rc;
}

/* POST /api/daemons {"adopt":RECORD}: 201 {"daemon_id","parent_url_file"}. */
static void on_adopt(bpci__http_req *req, bpci_server *srv, bpci_diag *diag, json_t *record)
{
	char *text = json_dumps(record, JSON_COMPACT), *reply = NULL;
	int rc = text ? bpci__coordinator_daemon_adopt(&reply, srv->c, text, strlen(text), diag)
		      : BPCI_ENOMEM;

	free(text);
	if (rc == 0)
		bpci__api_reply_text_json(req, 201, reply);
	else
		bpci__api_reply_diag(req, rc, diag, "the daemon was not adopted");
}

/* The body's "adopt" member, when it is an adoption (new reference). */
static json_t *adopt_record(bpci__http_req *req)
{
	size_t len = 0;
	const char *body = bpci__http_req_body(req, &len);
	json_t *b = json_loadb(body ? body : "", len, 0, NULL), *a;

	a = json_incref(json_object_get(b, "adopt"));
	json_decref(b);
	return a;
}

static void on_add(bpci__http_req *req, void *payload)
{
	bpci_server *srv = payload;
	bpci_diag *diag = new_diag(req);
	bpci_daemon_spec *spec = NULL;
	bpci_child_restart restart;
	char *list = NULL;
	json_t *record;
	int rc;

	if (!diag)
		return;
	if ((record = adopt_record(req)) != NULL) {
		on_adopt(req, srv, diag, record);
		json_decref(record);
		bpci_diag_free(diag);
		return;
	}
	rc = parse_body(&spec, &restart, req, diag);
	if (rc == 0)
		rc = bpci_coordinator_add_daemon(srv->c, spec, restart, diag);
	if (rc == 0) {
		char *loc = bpci__asprintf("/api/daemons/%s", bpci_daemon_spec_id(spec));

		if (loc)
			(void)bpci__http_reply_header(req, "Location", loc);
		bpci__free(loc);
		(void)bpci_coordinator_daemons_json(&list, srv->c);
		bpci__api_reply_text_json(req, 201, list);
	} else {
		bpci__api_reply_diag(req, rc, diag, "the daemon was not started");
	}
	bpci_daemon_spec_free(spec);
	bpci_diag_free(diag);
}

static void on_remove(bpci__http_req *req, void *payload)
{
	bpci_server *srv = payload;
	bpci_diag *diag = new_diag(req);
	const char *id = bpci__http_req_param(req, "id");
	const char *rel = bpci__http_req_query(req, "release");
	int release = rel && (!strcmp(rel, "1") || !strcmp(rel, "true")), rc;

	if (!diag)
		return;
	rc = release ? bpci__coordinator_daemon_release(srv->c, id, diag)
		     : bpci_coordinator_remove_daemon(srv->c, id, diag);
	if (rc == 0)
		bpci__http_reply_json(req, 200, json_pack("{s:s, s:s}", "daemon_id", id, "state",
							  release ? "released" : "stopping"));
	else
		bpci__api_reply_diag(req, rc, diag, "the daemon was not removed");
	bpci_diag_free(diag);
}

/* GET /api/daemons/{id}: the handover record of a running local child. */
static void on_get(bpci__http_req *req, void *payload)
{
	bpci_server *srv = payload;
	bpci_diag *diag = new_diag(req);
	char *text = NULL;
	int rc;

	if (!diag)
		return;
	rc = bpci__coordinator_daemon_handover(&text, srv->c, bpci__http_req_param(req, "id"),
					       diag);
	if (rc == 0)
		bpci__api_reply_text_json(req, 200, text);
	else
		bpci__api_reply_diag(req, rc, diag, "no handover record");
	bpci_diag_free(diag);
}

static void on_list(bpci__http_req *req, void *payload)
{
	bpci_server *srv = payload;
	char *text = NULL;
	int rc = bpci_coordinator_daemons_json(&text, srv->c);

	if (rc == BPCI_EINVAL)
		bpci__http_reply_json(req, 200, json_pack("{s:[]}", "daemons"));
	else
		bpci__api_reply_text_json(req, 200, text);
}

int bpci__api_routes_daemons(bpci_server *srv)
{
	int rc = bpci__http_route(srv->http, "POST", "/api/daemons", on_add, srv);

	if (rc == 0)
		rc = bpci__http_route(srv->http, "GET", "/api/daemons", on_list, srv);
	if (rc == 0)
		rc = bpci__http_route(srv->http, "DELETE", "/api/daemons/{id}", on_remove, srv);
	if (rc == 0)
		rc = bpci__http_route(srv->http, "GET", "/api/daemons/{id}", on_get, srv);
	return rc;
}
