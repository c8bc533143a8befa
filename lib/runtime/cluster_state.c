/*
 * The cluster manager's state file DIR/cluster.json: what restores the
 * manager exactly after a restart (replicas with their reservations,
 * registrations, the port pool with its leases, the services holding
 * ports, the id counters).
 */
#include <string.h>

#include <jansson.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "model/cluster_internal.h"
#include "runtime/cluster_internal.h"

#define STATE_VERSION 1

long bpci__cm_find_replica(const bpci_cluster_manager *cm, const char *key)
{
	size_t i;

	for (i = 0; key && i < cm->nreplicas; i++)
		if (!strcmp(cm->replicas[i].id, key) || !strcmp(cm->replicas[i].name, key))
			return (long)i;
	return -1;
}

long bpci__cm_find_node(const bpci_cluster_manager *cm, const char *key)
{
	size_t i;

	for (i = 0; key && i < cm->nnodes; i++)
		if (!strcmp(cm->nodes[i].id, key) ||
		    !strcmp(bpci_cluster_node_name(cm->nodes[i].node), key))
			return (long)i;
	return -1;
}

const char *bpci__cm_port_service(const bpci_cluster_manager *cm, uint16_t port)
{
	size_t i;

	for (i = 0; i < cm->nservices; i++)
		if (cm->services[i].port == port)
			return cm->services[i].service;
	return "";
}

int bpci__cm_set_service(bpci_cluster_manager *cm, uint16_t port, const char *service)
{
	bpci__port_service *grown;
	char *copy = bpci__strdup(service ? service : "");

	if (!copy)
		return BPCI_ENOMEM;
	bpci__cm_drop_service(cm, port);
	grown = bpci__realloc(cm->services, (cm->nservices + 1) * sizeof(*grown));
	if (!grown) {
		bpci__free(copy);
		return BPCI_ENOMEM;
	}
	cm->services = grown;
	grown[cm->nservices].port = port;
	grown[cm->nservices++].service = copy;
	return 0;
}

void bpci__cm_drop_service(bpci_cluster_manager *cm, uint16_t port)
{
	size_t i;

	for (i = 0; i < cm->nservices; i++)
		if (cm->services[i].port == port) {
			bpci__free(cm->services[i].service);
			cm->services[i] = cm->services[--cm->nservices];
			return;
		}
}

static json_t *resources_json(const bpci_resources *r)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "cpu_millicores",
			 (json_int_t)r->cpu_millicores, "memory_bytes", (json_int_t)r->memory_bytes,
			 "storage_bytes", (json_int_t)r->storage_bytes, "network_mbps",
			 (json_int_t)r->network_mbps, "gpu_units", (json_int_t)r->gpu_units);
}

static json_t *node_json(const bpci_cluster_node *node)
{
	char *text = NULL;
	json_t *v = NULL;

	if (bpci_cluster_node_to_json(&text, node) == 0)
		v = json_loads(text, 0, NULL);
	bpci__free(text);
	return v;
}

char *bpci__cm_state_json(const bpci_cluster_manager *cm)
{
	json_t *doc, *reps = json_array(), *nodes = json_array(), *svc = json_array(), *pool;
	json_t *tree = NULL;
	char *pool_text = NULL, *out = NULL;
	size_t i;

	for (i = 0; reps && i < cm->nreplicas; i++)
		json_array_append_new(reps, json_pack("{s:s, s:s, s:o, s:s*}", "id",
						      cm->replicas[i].id, "name",
						      cm->replicas[i].name, "resources",
						      resources_json(&cm->replicas[i].res), "daemon",
						      cm->replicas[i].daemon));
	for (i = 0; nodes && i < cm->nnodes; i++)
		json_array_append_new(nodes, json_pack("{s:s, s:o}", "id", cm->nodes[i].id, "node",
						       node_json(cm->nodes[i].node)));
	for (i = 0; svc && i < cm->nservices; i++)
		json_array_append_new(svc, json_pack("[i, s]", (int)cm->services[i].port,
						     cm->services[i].service));
	pool = bpci_port_pool_to_json(&pool_text, cm->pool) == 0 ? json_loads(pool_text, 0, NULL)
								  : NULL;
	bpci__free(pool_text);
	pool_text = NULL;
	/* The daemon tree (no live data: that is re-reported after a restart). */
	if (cm->tree && bpci_daemon_tree_to_json(&pool_text, cm->tree) == 0)
		tree = json_loads(pool_text, 0, NULL);
	bpci__free(pool_text);
	doc = json_pack("{s:i, s:s, s:I, s:I, s:o*, s:o*, s:o*, s:o*}", "version", STATE_VERSION,
			"cluster_id", cm->cluster_id, "next_replica", (json_int_t)cm->next_replica,
			"next_node", (json_int_t)cm->next_node, "replicas", reps, "nodes", nodes,
			"services", svc, "port_pool", pool);
	if (!doc || !reps || !nodes || !svc || !pool || (cm->tree && !tree)) {
		json_decref(doc);
		json_decref(tree);
		return NULL;
	}
	if (tree)
		json_object_set_new(doc, "tree", tree);
	bpci__json_dump(&out, doc);
	return out;
}

static int bad(bpci_diag *diag, const bpci_cluster_manager *cm, const char *what)
{
	return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EPARSE, "state",
			      "%s: %s", cm->state_path, what);
}

static int load_replicas(bpci_cluster_manager *cm, json_t *arr, bpci_diag *diag)
{
	size_t i;
	json_t *v;

	cm->replicas = bpci__calloc(json_array_size(arr) + 1, sizeof(*cm->replicas));
	if (!cm->replicas)
		return BPCI_ENOMEM;
	json_array_foreach(arr, i, v) {
		bpci__replica *r = &cm->replicas[cm->nreplicas];
		json_int_t cpu = 0, mem = 0, sto = 0, net = 0, gpu = 0;
		const char *id = NULL, *name = NULL, *daemon = NULL;

		if (json_unpack(v, "{s:s, s:s, s:{s:I, s:I, s:I, s:I, s:I}, s?s}", "id", &id, "name",
				&name, "resources", "cpu_millicores", &cpu, "memory_bytes", &mem,
				"storage_bytes", &sto, "network_mbps", &net, "gpu_units", &gpu,
				"daemon", &daemon) != 0)
			return bad(diag, cm, "a replica is malformed");
		r->id = bpci__strdup(id);
		r->name = bpci__strdup(name);
		r->daemon = daemon ? bpci__strdup(daemon) : NULL;
		cm->nreplicas++;
		if (!r->id || !r->name || (daemon && !r->daemon))
			return BPCI_ENOMEM;
		r->res.cpu_millicores = (uint64_t)cpu;
		r->res.memory_bytes = (uint64_t)mem;
		r->res.storage_bytes = (uint64_t)sto;
		r->res.network_mbps = (uint64_t)net;
		r->res.gpu_units = (uint64_t)gpu;
	}
	return 0;
}

static int load_nodes(bpci_cluster_manager *cm, json_t *arr, bpci_diag *diag)
{
	size_t i;
	json_t *v;
	int rc;

	cm->nodes = bpci__calloc(json_array_size(arr) + 1, sizeof(*cm->nodes));
	if (!cm->nodes)
		return BPCI_ENOMEM;
	json_array_foreach(arr, i, v) {
		const char *id = NULL;
		json_t *node = NULL;
		char *text;

		if (json_unpack(v, "{s:s, s:o}", "id", &id, "node", &node) != 0)
			return bad(diag, cm, "a registration is malformed");
		text = json_dumps(node, JSON_COMPACT);
		if (!text)
			return BPCI_ENOMEM;
		rc = bpci_cluster_node_from_json(&cm->nodes[cm->nnodes].node, text, strlen(text),
						 diag);
		free(text);
		if (rc != 0)
			return rc;
		if (!(cm->nodes[cm->nnodes++].id = bpci__strdup(id)))
			return BPCI_ENOMEM;
	}
	return 0;
}

static int load_services(bpci_cluster_manager *cm, json_t *arr, bpci_diag *diag)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) {
		int port = 0;
		const char *svc = NULL;

		if (json_unpack(v, "[i, s]", &port, &svc) != 0 || port < 1 || port > 65535)
			return bad(diag, cm, "a port service is malformed");
		if (bpci__cm_set_service(cm, (uint16_t)port, svc) != 0)
			return BPCI_ENOMEM;
	}
	return 0;
}

int bpci__cm_state_load(bpci_cluster_manager *cm, const char *text, size_t len,
			bpci_diag *diag)
{
	json_t *doc = json_loadb(text, len, 0, NULL), *reps, *nodes, *svc, *pool;
	json_int_t ver = 0, nr = 0, nn = 0;
	const char *cid = NULL;
	char *pool_text;
	int rc;

	if (!doc || json_unpack(doc, "{s:I, s:s, s:I, s:I, s:o, s:o, s:o, s:o}", "version", &ver,
				"cluster_id", &cid, "next_replica", &nr, "next_node", &nn,
				"replicas", &reps, "nodes", &nodes, "services", &svc, "port_pool",
				&pool) != 0) {
		json_decref(doc);
		return bad(diag, cm, "not a cluster manager state document");
	}
	if (ver != STATE_VERSION) {
		json_decref(doc);
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EUNSUPPORTED, "state",
				      "%s: version %lld (this library knows %d)", cm->state_path,
				      (long long)ver, STATE_VERSION);
	}
	if (strcmp(cid, cm->cluster_id) != 0) {
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "cluster_id",
				    "the state directory belongs to cluster \"%s\", not \"%s\"",
				    cid, cm->cluster_id);
		json_decref(doc);
		return rc;
	}
	cm->next_replica = (uint64_t)nr;
	cm->next_node = (uint64_t)nn;
	rc = load_replicas(cm, reps, diag);
	if (rc == 0)
		rc = load_nodes(cm, nodes, diag);
	if (rc == 0)
		rc = load_services(cm, svc, diag);
	if (rc == 0) {
		pool_text = json_dumps(pool, JSON_COMPACT);
		rc = pool_text ? bpci_port_pool_from_json(&cm->pool, pool_text, strlen(pool_text),
							  diag)
			       : BPCI_ENOMEM;
		free(pool_text);
	}
	/* A state written before the daemon tree existed has none: the
	 * default tree is made by bpci__cm_tree_ready(). */
	if (rc == 0 && json_object_get(doc, "tree")) {
		pool_text = json_dumps(json_object_get(doc, "tree"), JSON_COMPACT);
		rc = pool_text ? bpci__cm_tree_load(cm, pool_text, strlen(pool_text), diag)
			       : BPCI_ENOMEM;
		free(pool_text);
	}
	json_decref(doc);
	return rc;
}
