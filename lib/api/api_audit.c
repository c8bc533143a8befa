/*
 * POST /api/audit on the coordinator: the original's audit_to_bpi() for
 * programs outside the coordinator. The coordinator holds its journal (the
 * ledger at STATE_DIR/ledger) open for writing, so an audit event from
 * `bpci-enterprise audit append` or a script reaches it here, in the same
 * body and answer as the cluster manager's route:
 *   {"event":"login","details":"..."} -> 201 {"event":"login","journaled":true}
 * The append is durable before the answer; it does not touch the node
 * table, so it runs at once instead of waiting in the job queue.
 */
#include <jansson.h>

#include "api/api_internal.h"
#include "common/diag.h"

static void on_audit(bpci__http_req *req, void *payload)
{
	bpci_server *srv = payload;
	size_t len = 0;
	const char *body = bpci__http_req_body(req, &len);
	json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *ev = json_object_get(o, "event"), *det = json_object_get(o, "details");
	bpci_diag *diag = NULL;
	int rc;

	if (!json_is_object(o) || !json_is_string(ev) || (det && !json_is_string(det))) {
		bpci__http_reply_error(req, 400, "invalid",
				       "the body must be {\"event\": TEXT, \"details\": TEXT}",
				       json_is_string(ev) ? "details" : "event");
		json_decref(o);
		return;
	}
	if (bpci_diag_new(&diag) != 0) {
		bpci__http_reply_error(req, 500, "internal", "out of memory", NULL);
		json_decref(o);
		return;
	}
	rc = bpci_coordinator_audit(srv->c, json_string_value(ev), json_string_value(det), diag);
	if (rc == 0)
		bpci__http_reply_json(req, 201, json_pack("{s:s, s:b}", "event",
							  json_string_value(ev), "journaled", 1));
	else
		bpci__api_reply_diag(req, rc, diag, NULL);
	bpci_diag_free(diag);
	json_decref(o);
}

int bpci__api_routes_audit(bpci_server *srv)
{
	return bpci__http_route(srv->http, "POST", "/api/audit", on_audit, srv);
}
