/*
 * Mutating routes of the cluster manager's API. Handlers queue the
 * request; the job runs between loop iterations, calls the library (which
 * journals before it returns) and answers.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "api/api_internal.h"
#include "api/cluster_api.h"
#include "common/alloc.h"
#include "common/diag.h"

/* The request body as a JSON object; answers 400 itself and gives NULL. */
static json_t *body_object(bpci__http_req *req)
{
	size_t len = 0;
	const char *text = bpci__http_req_body(req, &len);
	json_t *v = len ? json_loadb(text, len, 0, NULL) : json_object();

	if (!json_is_object(v)) {
		json_decref(v);
		bpci__http_reply_error(req, 400, "parse", "the body must be a JSON object", NULL);
		return NULL;
	}
	return v;
}

static void fail(bpci__http_req *req, int rc, bpci_diag *diag)
{
	bpci__api_reply_diag(req, rc, diag, NULL);
	bpci_diag_free(diag);
}

static int amount(json_t *o, const char *key, double scale, uint64_t *out, bpci_diag *diag)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_number(v) || json_number_value(v) < 0 || !isfinite(json_number_value(v)))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, key,
				      "must be a non-negative number");
	*out = (uint64_t)(json_number_value(v) * scale + 0.5);
	return 0;
}

static int replica_resources(json_t *o, bpci_resources *r, bpci_diag *diag)
{
	const char *text = json_string_value(json_object_get(o, "resources"));
	int rc = 0;

	memset(r, 0, sizeof(*r));
	if (text)
		return bpci_resources_parse(r, text, diag);
	rc |= amount(o, "cpu_cores", 1000.0, &r->cpu_millicores, diag);
	rc |= amount(o, "memory_gb", 1073741824.0, &r->memory_bytes, diag);
	rc |= amount(o, "storage_gb", 1073741824.0, &r->storage_bytes, diag);
	rc |= amount(o, "network_mbps", 1.0, &r->network_mbps, diag);
	return rc ? BPCI_EINVAL : 0;
}

static void add_replica(bpci_cluster_server *srv, bpci__http_req *req)
{
	json_t *o = body_object(req);
	bpci_diag *diag = NULL;
	bpci_resources r;
	char *id = NULL;
	const char *name;
	int rc;

	if (!o)
		return;
	bpci_diag_new(&diag);
	name = json_string_value(json_object_get(o, "name"));
	rc = replica_resources(o, &r, diag);
	if (rc == 0)
		rc = bpci_cluster_manager_add_enc_replica_under(
			&id, srv->cm, name ? name : "", &r,
			json_string_value(json_object_get(o, "under")), diag);
	if (rc == 0)
		bpci__http_reply_json(req, 201, json_pack("{s:s, s:s}", "id", id, "name", name));
	else
		bpci__api_reply_diag(req, rc, diag, NULL);
	bpci__free(id);
	bpci_diag_free(diag);
	json_decref(o);
}

static void remove_replica(bpci_cluster_server *srv, bpci__http_req *req)
{
	const char *id = bpci__http_req_param(req, "id");
	bpci_diag *diag = NULL;
	int rc;

	bpci_diag_new(&diag);
	rc = bpci_cluster_manager_remove_replica(srv->cm, id, diag);
	if (rc != 0) {
		fail(req, rc, diag);
		return;
	}
	bpci__http_reply_json(req, 200, json_pack("{s:s, s:b}", "id", id, "removed", 1));
	bpci_diag_free(diag);
}

static void register_node(bpci_cluster_server *srv, bpci__http_req *req)
{
	size_t len = 0;
	const char *body = bpci__http_req_body(req, &len);
	bpci_cluster_node *node = NULL;
	bpci_diag *diag = NULL;
	char *id = NULL;
	int rc;

	bpci_diag_new(&diag);
	rc = bpci_cluster_node_from_json(&node, body, len, diag);
	if (rc == 0)
		rc = bpci_cluster_manager_register_node(&id, srv->cm, bpci_cluster_node_name(node),
							bpci_cluster_node_type_of(node),
							bpci_cluster_node_capabilities(node), diag);
	if (rc == 0)
		bpci__http_reply_json(req, 201, json_pack("{s:s, s:s}", "id", id, "name",
							  bpci_cluster_node_name(node)));
	else
		bpci__api_reply_diag(req, rc, diag, NULL);
	bpci_cluster_node_free(node);
	bpci__free(id);
	bpci_diag_free(diag);
}

static void unregister_node(bpci_cluster_server *srv, bpci__http_req *req)
{
	const char *id = bpci__http_req_param(req, "id");
	bpci_diag *diag = NULL;
	int rc;

	bpci_diag_new(&diag);
	rc = bpci_cluster_manager_unregister_node(srv->cm, id, diag);
	if (rc != 0) {
		fail(req, rc, diag);
		return;
	}
	bpci__http_reply_json(req, 200, json_pack("{s:s, s:b}", "id", id, "removed", 1));
	bpci_diag_free(diag);
}

static void allocate_port(bpci_cluster_server *srv, bpci__http_req *req)
{
	json_t *o = body_object(req), *ttl;
	const char *service;
	bpci_diag *diag = NULL;
	uint16_t port = 0;
	int rc = 0;

	if (!o)
		return;
	bpci_diag_new(&diag);
	service = json_string_value(json_object_get(o, "service"));
	ttl = json_object_get(o, "ttl_ms");
	if (ttl && (!json_is_integer(ttl) || json_integer_value(ttl) < 0))
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "ttl_ms",
				    "must be a non-negative integer (milliseconds)");
	if (rc == 0)
		rc = bpci_cluster_manager_allocate_port(&port, srv->cm, service,
							ttl ? (uint64_t)json_integer_value(ttl) : 0,
							diag);
	if (rc == 0)
		bpci__http_reply_json(req, 201, json_pack("{s:i, s:s}", "port", (int)port, "service",
							  service ? service : ""));
	else
		bpci__api_reply_diag(req, rc, diag, NULL);
	bpci_diag_free(diag);
	json_decref(o);
}

static void release_port(bpci_cluster_server *srv, bpci__http_req *req)
{
	const char *text = bpci__http_req_param(req, "port");
	bpci_diag *diag = NULL;
	char *end = NULL;
	long port = strtol(text, &end, 10);
	int rc;

	bpci_diag_new(&diag);
	if (!end || *end || port < 1 || port > 65535)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "port",
				    "must be 1..65535, got \"%s\"", text);
	else
		rc = bpci_cluster_manager_release_port(srv->cm, (uint16_t)port, diag);
	if (rc != 0) {
		fail(req, rc, diag);
		return;
	}
	bpci__http_reply_json(req, 200, json_pack("{s:i, s:b}", "port", (int)port, "released", 1));
	bpci_diag_free(diag);
}

static void audit(bpci_cluster_server *srv, bpci__http_req *req)
{
	json_t *o = body_object(req);
	const char *event, *details;
	bpci_diag *diag = NULL;
	int rc;

	if (!o)
		return;
	bpci_diag_new(&diag);
	event = json_string_value(json_object_get(o, "event"));
	details = json_string_value(json_object_get(o, "details"));
	rc = bpci_cluster_manager_audit(srv->cm, event, details, diag);
	if (rc == 0)
		bpci__http_reply_json(req, 201, json_pack("{s:s, s:b}", "event", event,
							  "journaled", 1));
	else
		bpci__api_reply_diag(req, rc, diag, NULL);
	bpci_diag_free(diag);
	json_decref(o);
}

BPCI__CM_QUEUE_HANDLER(add_replica)
BPCI__CM_QUEUE_HANDLER(remove_replica)
BPCI__CM_QUEUE_HANDLER(register_node)
BPCI__CM_QUEUE_HANDLER(unregister_node)
BPCI__CM_QUEUE_HANDLER(allocate_port)
BPCI__CM_QUEUE_HANDLER(release_port)
BPCI__CM_QUEUE_HANDLER(audit)

int bpci__cm_routes_mut(bpci_cluster_server *srv)
{
	static const struct {
		const char *method, *path;
		bpci__http_handler fn;
	} r[] = {{"POST", "/api/replicas", q_add_replica},
		 {"DELETE", "/api/replicas/{id}", q_remove_replica},
		 {"POST", "/api/cluster/nodes", q_register_node},
		 {"DELETE", "/api/cluster/nodes/{id}", q_unregister_node},
		 {"POST", "/api/ports", q_allocate_port},
		 {"DELETE", "/api/ports/{port}", q_release_port},
		 {"POST", "/api/audit", q_audit}};
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < sizeof(r) / sizeof(r[0]); i++)
		rc = bpci__http_route(srv->http, r[i].method, r[i].path, r[i].fn, srv);
	return rc;
}
