/*
 * The node routes: reads are answered at once from the loop; starts,
 * stops, restarts and reloads are queued (coordinator_api.c) and carried
 * out here between loop iterations.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "api/api_internal.h"
#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/coordinator_api.h"

static bpci_diag *new_diag(bpci__http_req *req)
{
	bpci_diag *d = NULL;

	if (bpci_diag_new(&d) != 0) {
		bpci__http_reply_error(req, 500, "internal", "out of memory", NULL);
		return NULL;
	}
	return d;
}

static void reply_not_found(bpci__http_req *req, const char *id)
{
	char *msg = bpci__asprintf("'%s' names no node of this coordinator", id ? id : "");

	bpci__http_reply_error(req, 404, "not_found", msg ? msg : "no such node", "id");
	bpci__free(msg);
}

/* ?type=T: 0 with *type 0 when absent; else BPCI_EINVAL after answering. */
static int query_type(bpci__http_req *req, bpci_node_type *type)
{
	const char *t = bpci__http_req_query(req, "type");
	char names[256] = "";
	char *msg;
	int i;

	*type = (bpci_node_type)0;
	if (!t || bpci_node_type_parse(type, t) == 0)
		return 0;
	for (i = 1; i <= BPCI_NODE_TYPE_COUNT; i++) {
		strcat(names, i > 1 ? ", " : "");
		strcat(names, bpci_node_type_name((bpci_node_type)i));
	}
	msg = bpci__asprintf("type must be one of %s, got '%s'", names, t);
	bpci__http_reply_error(req, 400, "invalid", msg ? msg : "unknown node type", "type");
	bpci__free(msg);
	return BPCI_EINVAL;
}

static void on_list(bpci__http_req *req, void *payload)
{
	bpci_server *srv = payload;
	bpci_node_status_list *list = NULL;
	bpci_node_type type;
	char *text = NULL;
	size_t len = 0;
	int rc;

	if (query_type(req, &type) != 0)
		return;
	rc = bpci__coordinator_list_json(&text, &len, srv->c, type, srv->list_hint);
	if (rc == 0) {
		srv->list_hint = len + len / 8;
		bpci__http_reply_take(req, 200, "application/json", text, len);
		return;
	}
	/* Not valid UTF-8 somewhere: jansson decides, as for every client. */
	if (bpci_coordinator_list_nodes(&list, srv->c, type, NULL) == 0)
		(void)bpci_node_status_list_to_json(&text, list);
	bpci_node_status_list_free(list);
	bpci__api_reply_text_json(req, 200, text);
}

static void on_get(bpci__http_req *req, void *payload)
{
	bpci_server *srv = payload;
	const char *id = bpci__http_req_param(req, "id");
	bpci_node_status *st = NULL;
	char *text = NULL;
	int rc = bpci_coordinator_get_node(&st, srv->c, id, NULL);

	if (rc == BPCI_ENOTFOUND) {
		reply_not_found(req, id);
		return;
	}
	if (rc == 0)
		(void)bpci_node_status_to_json(&text, st);
	bpci_node_status_free(st);
	bpci__api_reply_text_json(req, 200, text);
}

static void queue_start(bpci__http_req *req, void *payload)
{
	bpci__api_queue(payload, BPCI__JOB_START, req);
}

static void queue_stop(bpci__http_req *req, void *payload)
{
	bpci__api_queue(payload, BPCI__JOB_STOP, req);
}

static void queue_restart(bpci__http_req *req, void *payload)
{
	bpci__api_queue(payload, BPCI__JOB_RESTART, req);
}

static void queue_reload(bpci__http_req *req, void *payload)
{
	bpci__api_queue(payload, BPCI__JOB_RELOAD, req);
}

int bpci__api_routes_nodes(bpci_server *srv)
{
	static const struct {
		const char *method, *pattern;
		bpci__http_handler fn;
	} routes[] = {
		{"GET", "/api/nodes", on_list},
		{"GET", "/api/nodes/status", on_list},
		{"POST", "/api/nodes", queue_start},
		{"GET", "/api/nodes/{id}", on_get},
		{"DELETE", "/api/nodes/{id}", queue_stop},
		{"POST", "/api/nodes/{id}/restart", queue_restart},
		{"POST", "/api/reload", queue_reload},
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		rc = bpci__http_route(srv->http, routes[i].method, routes[i].pattern,
				      routes[i].fn, srv);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ---- jobs ---------------------------------------------------------------- */

static int parse_spec(bpci_node_spec **spec, bpci__http_req *req, bpci_diag *diag)
{
	size_t len;
	const char *body = bpci__http_req_body(req, &len);
	int rc;

	if (!body || len == 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "",
				      "the request body must be a node spec in JSON "
				      "({\"type\":...}), got an empty body");
	rc = bpci_node_spec_from_json(spec, body, len, diag);
	if (rc == 0)
		rc = bpci_node_spec_validate(*spec, 0, diag);
	return rc;
}

static void reply_started(bpci_server *srv, bpci__http_req *req, const char *id)
{
	bpci_node_status *st = NULL;
	char *loc = bpci__asprintf("/api/nodes/%s", id);
	json_t *doc;

	if (loc)
		(void)bpci__http_reply_header(req, "Location", loc);
	bpci__free(loc);
	if (bpci_coordinator_get_node(&st, srv->c, id, NULL) != 0) {
		bpci__http_reply_json(req, 201, json_pack("{s:s}", "id", id));
		return;
	}
	doc = json_pack("{s:s, s:s, s:s, s:i}", "id", id, "state",
			bpci_node_state_name(st->state), "failure_reason", st->failure_reason,
			"pid", st->pid);
	bpci_node_status_free(st);
	bpci__http_reply_json(req, 201, doc);
}

static void job_start(bpci_server *srv, bpci__http_req *req, bpci_diag *diag)
{
	bpci_node_spec *spec = NULL;
	char *id = NULL;
	int rc = parse_spec(&spec, req, diag);

	if (rc == BPCI_ENOTFOUND)
		rc = BPCI_EINVAL; /* an unknown key is a bad request, not a 404 */
	if (rc == 0) {
		rc = bpci_coordinator_start_node(&id, srv->c, spec,
						 bpci__http_req_query(req, "endpoint"), diag);
		/* A missing executable still records the node (as failed). */
		if (rc == BPCI_ENOTFOUND && id)
			rc = 0;
	}
	if (rc == 0)
		reply_started(srv, req, id);
	else
		bpci__api_reply_diag(req, rc, diag, "the node was not started");
	bpci__free(id);
	bpci_node_spec_free(spec);
}

static void job_stop(bpci_server *srv, bpci__http_req *req, bpci_diag *diag)
{
	const char *id = bpci__http_req_param(req, "id");
	int rc = bpci_coordinator_stop_node(srv->c, id, diag);

	if (rc == BPCI_ENOTFOUND)
		reply_not_found(req, id);
	else if (rc != 0)
		bpci__api_reply_diag(req, rc, diag, "the node could not be stopped");
	else {
		bpci__api_follows_end(srv, id); /* before the answer: @id is the request's */
		bpci__http_reply_json(req, 200,
				      json_pack("{s:s, s:s}", "id", id, "state", "stopped"));
	}
}

static void job_restart(bpci_server *srv, bpci__http_req *req, bpci_diag *diag)
{
	const char *id = bpci__http_req_param(req, "id");
	bpci_node_status *st = NULL;
	char *text = NULL;
	int rc = bpci_coordinator_restart_node(srv->c, id, diag);

	if (rc == BPCI_ENOTFOUND && !bpci_coordinator_get_node(&st, srv->c, id, NULL)) {
		bpci_node_status_free(st);
		st = NULL;
		rc = 0; /* restarted, but its executable is gone: it is failed */
	}
	if (rc == BPCI_ENOTFOUND) {
		reply_not_found(req, id);
		return;
	}
	if (rc != 0) {
		bpci__api_reply_diag(req, rc, diag, "the node could not be restarted");
		return;
	}
	if (bpci_coordinator_get_node(&st, srv->c, id, NULL) == 0)
		(void)bpci_node_status_to_json(&text, st);
	bpci_node_status_free(st);
	bpci__api_reply_text_json(req, 200, text);
}

/* Every problem of a failed reload on stderr, one line each: for a SIGHUP
 * this is the only place an operator can see them. */
static void log_reload_failure(const bpci_server *srv, const char *how, int rc, int loaded,
			       const bpci_diag *diag)
{
	size_t i, n = bpci_diag_count(diag), shown = 0;

	fprintf(stderr, "bpci coordinator: %s reload of %s failed (%s); %s\n", how,
		srv->config_path, bpci_strerror(rc),
		loaded ? "the rest of the difference was applied"
		       : "the running nodes were left alone");
	for (i = 0; i < n; i++) {
		const bpci_diag_entry *e = bpci_diag_get(diag, i);

		if (e && e->severity == BPCI_SEVERITY_ERROR) {
			fprintf(stderr, "bpci coordinator:   %s\n",
				e->text && *e->text ? e->text : e->message);
			shown++;
		}
	}
	if (!shown)
		fprintf(stderr, "bpci coordinator:   %s\n", bpci_strerror(rc));
	fflush(stderr);
}

/* A reload that failed answers 400 with every problem (a configuration
 * that cannot be read or applied is the request's problem), but a lack of
 * memory is ours. */
static void reply_reload_failure(bpci__http_req *req, int rc, const bpci_diag *diag)
{
	bpci__api_reply_diag(req, rc == BPCI_ENOMEM ? rc : BPCI_EINVAL, diag,
			     "the configuration was not applied");
}

static void job_reload(bpci_server *srv, bpci__http_req *req, bpci_diag *diag)
{
	bpci_config *cfg = NULL;
	size_t nodes = 0;
	int rc, loaded;

	if (!srv->config_path) {
		if (req)
			bpci__http_reply_error(req, 409, "no_config",
					       "this coordinator was started without a "
					       "configuration file: there is nothing to reload",
					       NULL);
		return;
	}
	rc = bpci_config_load_file(&cfg, srv->config_path, 0, diag);
	loaded = rc == 0;
	if (rc == 0) {
		nodes = bpci_config_node_count(cfg);
		rc = bpci_coordinator_reload(srv->c, cfg, diag);
	}
	bpci_config_free(cfg);
	bpci__api_reload_done(srv, rc);
	if (rc != 0)
		log_reload_failure(srv, req ? "API" : "SIGHUP", rc, loaded, diag);
	else if (!req)
		fprintf(stderr, "bpci coordinator: SIGHUP: reloaded %s (%zu nodes)\n",
			srv->config_path, nodes);
	if (!req)
		return;
	if (rc != 0)
		reply_reload_failure(req, rc, diag);
	else
		bpci__http_reply_json(req, 200,
				      json_pack("{s:s, s:I}", "config", srv->config_path, "nodes",
						(json_int_t)nodes));
}

void bpci__api_run_job(bpci_server *srv, bpci__api_job *job)
{
	bpci_diag *diag = NULL;

	if (job->req) {
		if (!(diag = new_diag(job->req)))
			return;
	} else if (bpci_diag_new(&diag) != 0) {
		diag = NULL; /* a SIGHUP reload is then logged without details */
	}
	switch (job->kind) {
	case BPCI__JOB_START:
		job_start(srv, job->req, diag);
		break;
	case BPCI__JOB_STOP:
		job_stop(srv, job->req, diag);
		break;
	case BPCI__JOB_RESTART:
		job_restart(srv, job->req, diag);
		break;
	case BPCI__JOB_RELOAD:
		job_reload(srv, job->req, diag);
		break;
	}
	bpci_diag_free(diag);
}
