/*
 * Registered cluster nodes, port leases and audit entries of the cluster
 * manager: each accepted change is journaled, then persisted.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/cluster_internal.h"
#include "runtime/port.h"

#define BUSY_HOLD_MS 60000u

int bpci_cluster_manager_register_node(char **id, bpci_cluster_manager *cm, const char *name,
				       bpci_cluster_node_type type,
				       const bpci_capabilities *caps, bpci_diag *diag)
{
	bpci_cluster_node *node = NULL;
	bpci__regnode *grown;
	char idbuf[40], *details = NULL, *rid;
	int rc;

	if (!cm)
		return BPCI_EINVAL;
	rc = bpci_cluster_node_new(&node, name, type, caps, diag);
	if (rc != 0)
		return rc;
	if (bpci__cm_find_node(cm, name) >= 0) {
		bpci_cluster_node_free(node);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EEXISTS, "name",
				      "a node named \"%s\" is registered", name);
	}
	snprintf(idbuf, sizeof(idbuf), "node-%" PRIu64, cm->next_node);
	grown = bpci__realloc(cm->nodes, (cm->nnodes + 1) * sizeof(*grown));
	rid = bpci__strdup(idbuf);
	if (grown)
		cm->nodes = grown;
	rc = (!grown || !rid) ? BPCI_ENOMEM : bpci_cluster_node_to_json(&details, node);
	if (rc == 0)
		rc = bpci__cm_journal(cm, "node.registered", idbuf, details, diag);
	bpci__free(details);
	if (rc == 0 && id && !(*id = bpci__strdup(idbuf)))
		rc = BPCI_ENOMEM;
	if (rc != 0) {
		bpci__free(rid);
		bpci_cluster_node_free(node);
		return rc;
	}
	cm->nodes[cm->nnodes].id = rid;
	cm->nodes[cm->nnodes++].node = node;
	cm->next_node++;
	rc = bpci__cm_persist(cm, diag);
	bpci__cm_emit(cm, BPCI_CLUSTER_NODE_REGISTERED, rid, name, 0);
	return rc;
}

int bpci_cluster_manager_unregister_node(bpci_cluster_manager *cm, const char *id,
					 bpci_diag *diag)
{
	long i = cm ? bpci__cm_find_node(cm, id) : -1;
	bpci__regnode n;
	int rc;

	if (!cm)
		return BPCI_EINVAL;
	if (i < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "id",
				      "no registered node \"%s\"", id ? id : "");
	n = cm->nodes[i];
	rc = bpci__cm_journal(cm, "node.unregistered", n.id, NULL, diag);
	if (rc != 0)
		return rc;
	cm->nodes[i] = cm->nodes[--cm->nnodes];
	rc = bpci__cm_persist(cm, diag);
	bpci__cm_emit(cm, BPCI_CLUSTER_NODE_UNREGISTERED, n.id, bpci_cluster_node_name(n.node), 0);
	bpci__free(n.id);
	bpci_cluster_node_free(n.node);
	return rc;
}

static int journal_port(bpci_cluster_manager *cm, const char *type, uint16_t port,
			const char *service, uint64_t expires, const char *reason, bpci_diag *diag)
{
	char subject[8];
	json_t *d = json_pack("{s:i, s:s, s:I, s:s}", "port", (int)port, "service",
			      service ? service : "", "expires_ms", (json_int_t)expires, "reason",
			      reason);
	char *text = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	int rc;

	json_decref(d);
	if (!text)
		return BPCI_ENOMEM;
	snprintf(subject, sizeof(subject), "%u", (unsigned int)port);
	rc = bpci__cm_journal(cm, type, subject, text, diag);
	free(text);
	return rc;
}

int bpci_cluster_manager_expire_ports(bpci_cluster_manager *cm, size_t *count, bpci_diag *diag)
{
	uint16_t *ports = NULL;
	size_t n = 0, i;
	int rc;

	if (!cm)
		return BPCI_EINVAL;
	if (count)
		*count = 0;
	rc = bpci_port_pool_expire(&ports, &n, cm->pool, bpci__cm_now_ms());
	for (i = 0; rc == 0 && i < n; i++) {
		rc = journal_port(cm, "port.released", ports[i], bpci__cm_port_service(cm, ports[i]),
				  0, "expired", diag);
		if (rc == 0)
			bpci__cm_emit(cm, BPCI_CLUSTER_PORT_RELEASED, "",
				      bpci__cm_port_service(cm, ports[i]), ports[i]);
		bpci__cm_drop_service(cm, ports[i]);
	}
	if (rc == 0 && n > 0)
		rc = bpci__cm_persist(cm, diag);
	bpci__free(ports);
	if (count)
		*count = n;
	return rc;
}

/* A free port of the pool that nothing listens on, leased until @expires. */
static int lease_bindable(uint16_t *out, bpci_cluster_manager *cm, uint64_t expires,
			  bpci_diag *diag)
{
	uint16_t port;
	int rc;

	for (;;) {
		rc = bpci_port_pool_allocate(&port, cm->pool, expires);
		if (rc == BPCI_ELIMIT)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, "port",
					      "no free port left (%zu leased of %zu)",
					      bpci_port_pool_count(cm->pool),
					      bpci_port_pool_capacity(cm->pool));
		if (rc != 0)
			return rc;
		if (bpci__port_test_bind("127.0.0.1", port, NULL) == 0) {
			*out = port;
			return 0;
		}
		/* Another program holds it: keep it out of circulation a while. */
		bpci_port_pool_mark_busy(cm->pool, port, bpci__cm_now_ms() + BUSY_HOLD_MS);
	}
}

int bpci_cluster_manager_allocate_port(uint16_t *port, bpci_cluster_manager *cm,
				       const char *service, uint64_t ttl_ms, bpci_diag *diag)
{
	uint64_t expires;
	uint16_t p = 0;
	int rc;

	if (!cm || !port)
		return BPCI_EINVAL;
	rc = bpci_cluster_manager_expire_ports(cm, NULL, diag);
	if (rc != 0)
		return rc;
	expires = ttl_ms ? bpci__cm_now_ms() + ttl_ms : 0;
	rc = lease_bindable(&p, cm, expires, diag);
	if (rc != 0)
		return rc;
	rc = bpci__cm_set_service(cm, p, service);
	if (rc == 0)
		rc = journal_port(cm, "port.allocated", p, service, expires, "allocated", diag);
	if (rc != 0) {
		bpci__cm_drop_service(cm, p);
		bpci_port_pool_release(cm->pool, p);
		return rc;
	}
	rc = bpci__cm_persist(cm, diag);
	bpci__cm_emit(cm, BPCI_CLUSTER_PORT_ALLOCATED, "", service, p);
	*port = p;
	return rc;
}

int bpci_cluster_manager_release_port(bpci_cluster_manager *cm, uint16_t port, bpci_diag *diag)
{
	char *service;
	int rc;

	if (!cm)
		return BPCI_EINVAL;
	if (bpci_port_pool_is_allocated(cm->pool, port) != 1)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "port",
				      "port %u is not leased", (unsigned int)port);
	service = bpci__strdup(bpci__cm_port_service(cm, port));
	if (!service)
		return BPCI_ENOMEM;
	rc = journal_port(cm, "port.released", port, service, 0, "released", diag);
	if (rc == 0) {
		bpci_port_pool_release(cm->pool, port);
		bpci__cm_drop_service(cm, port);
		rc = bpci__cm_persist(cm, diag);
		bpci__cm_emit(cm, BPCI_CLUSTER_PORT_RELEASED, "", service, port);
	}
	bpci__free(service);
	return rc;
}

int bpci_cluster_manager_audit(bpci_cluster_manager *cm, const char *event,
			       const char *details, bpci_diag *diag)
{
	int rc;

	if (!cm)
		return BPCI_EINVAL;
	if (!event || !*event)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "event",
				      "must be a non-empty string");
	rc = bpci_ledger_audit(cm->ledger, event, details);
	if (rc != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "event",
				      "cannot journal audit event \"%s\": %s", event,
				      bpci_strerror(rc));
	cm->journaled++;
	cm->audits++;
	bpci__cm_emit(cm, BPCI_CLUSTER_AUDIT, event, details, 0);
	return 0;
}
