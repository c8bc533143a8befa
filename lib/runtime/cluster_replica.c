/*
 * ENC replicas: an enc-cluster node with a resource reservation, placed by
 * the placement engine on a node_lifecycle daemon of the tree (of the
 * subtree of a load_balancing daemon when placed "under" it) within the
 * utilization ceiling, and run by that daemon's coordinator.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/cluster_internal.h"

void bpci__cm_reserved(const bpci_cluster_manager *cm, bpci_resources *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < cm->nreplicas; i++) {
		out->cpu_millicores += cm->replicas[i].res.cpu_millicores;
		out->memory_bytes += cm->replicas[i].res.memory_bytes;
		out->storage_bytes += cm->replicas[i].res.storage_bytes;
		out->network_mbps += cm->replicas[i].res.network_mbps;
		out->gpu_units += cm->replicas[i].res.gpu_units;
	}
}

/* What placement checks: the network is not a measured capacity of the
 * host, so it is recorded but not placed against. */
bpci_resources bpci__cm_placed_need(const bpci_resources *res)
{
	bpci_resources need = *res;

	need.network_mbps = 0;
	return need;
}

static int set_size(bpci_node_spec *spec, const char *field, uint64_t v, bpci_diag *diag)
{
	return v ? bpci_node_spec_set_uint(spec, field, v, diag) : 0;
}

int bpci__cm_replica_spec(bpci_node_spec **out, const bpci_cluster_manager *cm,
			  const bpci__replica *r, bpci_diag *diag)
{
	bpci_node_spec *spec = NULL;
	size_t n = 0;
	int rc = bpci_node_spec_new(&spec, BPCI_NODE_ENC_CLUSTER);

	if (rc == 0)
		rc = bpci_node_spec_set(spec, "id", r->id, diag);
	if (rc == 0)
		rc = bpci_node_spec_set(spec, "name", r->name, diag);
	if (rc == 0)
		rc = bpci_node_spec_set(spec, "cluster_id", cm->cluster_id, diag);
	if (rc == 0)
		rc = bpci_node_spec_set(spec, "encryption_level", "standard", diag);
	if (rc == 0)
		rc = set_size(spec, "resources.cpu_cores", r->res.cpu_millicores, diag);
	if (rc == 0)
		rc = set_size(spec, "resources.memory_gb", r->res.memory_bytes, diag);
	if (rc == 0)
		rc = set_size(spec, "resources.storage_gb", r->res.storage_bytes, diag);
	if (rc == 0)
		rc = set_size(spec, "resources.network_bandwidth_mbps", r->res.network_mbps, diag);
	if (rc == 0 && cm->replica_command) {
		while (cm->replica_command[n])
			n++;
		rc = bpci_node_spec_set_list(spec, "command",
					     (const char *const *)cm->replica_command, n, diag);
		if (rc == 0)
			rc = bpci_node_spec_set(spec, "health.type", "none", diag);
	}
	if (rc != 0) {
		bpci_node_spec_free(spec);
		return rc;
	}
	*out = spec;
	return 0;
}

static char *replica_details(const bpci_cluster_manager *cm, const bpci__replica *r,
			     const char *domain)
{
	char *res = NULL, *out;

	if (bpci_resources_format(&res, &r->res) != 0)
		return NULL;
	out = bpci__asprintf("{\"name\":\"%s\",\"resources\":\"%s\",\"daemon\":\"%s\","
			     "\"domain\":\"%s\"}", r->name, res,
			     r->daemon ? r->daemon : bpci_daemon_tree_root(cm->tree),
			     domain ? domain : bpci_daemon_tree_root(cm->tree));
	bpci__free(res);
	return out;
}

/* Starts the replica's node and journals it (with the load_balancing
 * domain it was placed in); undoes the start on failure. */
static int start_and_journal(bpci_cluster_manager *cm, const bpci__replica *r,
			     const char *domain, bpci_diag *diag)
{
	bpci_placement_request req = BPCI_PLACEMENT_REQUEST_INIT;
	char *details;
	int rc = bpci__cm_replica_start(cm, r, r->daemon, diag);

	if (rc != 0)
		return rc;
	req.id = r->id;
	req.need = bpci__cm_placed_need(&r->res);
	details = replica_details(cm, r, domain);
	rc = details ? bpci__cm_journal(cm, "replica.added", r->id, details, diag) : BPCI_ENOMEM;
	bpci__free(details);
	if (rc == 0)
		rc = bpci_daemon_tree_add_node(cm->tree, &req, r->daemon ? r->daemon
						       : bpci_daemon_tree_root(cm->tree), diag);
	if (rc == 0 && domain && (rc = bpci_daemon_tree_set_node_domain(cm->tree, r->id, domain,
									 diag)) != 0)
		bpci_daemon_tree_remove_node(cm->tree, r->id);
	if (rc != 0)
		bpci__cm_replica_stop(cm, r, r->daemon, NULL);
	return rc;
}

/* The node's state now, as a status event (after replica.added). */
static void emit_status(bpci_cluster_manager *cm, const char *id)
{
	bpci_node_status *st = NULL;

	if (bpci_coordinator_get_node(&st, cm->c, id, NULL) == 0)
		bpci__cm_emit(cm, BPCI_CLUSTER_REPLICA_STATUS, id,
			      bpci_node_state_name(st->state), 0);
	bpci_node_status_free(st);
}

int bpci_cluster_manager_add_enc_replica(char **id, bpci_cluster_manager *cm,
					 const char *name, const bpci_resources *res,
					 bpci_diag *diag)
{
	return bpci_cluster_manager_add_enc_replica_under(id, cm, name, res, NULL, diag);
}

int bpci_cluster_manager_add_enc_replica_under(char **id, bpci_cluster_manager *cm,
					       const char *name, const bpci_resources *res,
					       const char *under, bpci_diag *diag)
{
	bpci__replica r, *grown;
	char idbuf[40], *daemon = NULL;
	int rc;

	if (!cm || !res)
		return BPCI_EINVAL;
	rc = bpci_replica_validate(name, res, diag);
	if (rc != 0)
		return rc;
	if (bpci__cm_find_replica(cm, name) >= 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EEXISTS, "name",
				      "a replica named \"%s\" exists", name);
	snprintf(idbuf, sizeof(idbuf), "replica-%" PRIu64, cm->next_replica);
	/* The root's domain is recorded as none: it survives a root rename. */
	if (cm && under && bpci__cm_is_root(cm, under))
		under = NULL;
	rc = bpci__cm_tree_place(&daemon, cm, idbuf, res, under, diag);
	if (rc != 0)
		return rc;
	grown = bpci__realloc(cm->replicas, (cm->nreplicas + 1) * sizeof(*grown));
	if (!grown) {
		bpci__free(daemon);
		return BPCI_ENOMEM;
	}
	cm->replicas = grown;
	/* The root is recorded as NULL: it keeps its replicas when renamed. */
	r.daemon = bpci__cm_is_root(cm, daemon) ? NULL : daemon;
	if (!r.daemon)
		bpci__free(daemon);
	r.id = bpci__strdup(idbuf);
	r.name = bpci__strdup(name);
	r.res = *res;
	if (id)
		*id = bpci__strdup(idbuf);
	rc = (!r.id || !r.name || (id && !*id)) ? BPCI_ENOMEM : 0;
	if (rc == 0) {
		/* Listed before the start so that its node's first state changes
		 * are reported as the replica's. */
		cm->replicas[cm->nreplicas++] = r;
		cm->adding = r.id;
		rc = start_and_journal(cm, &r, under, diag);
		cm->adding = NULL;
		if (rc != 0)
			cm->nreplicas--;
	}
	if (rc != 0) {
		bpci__free(r.id);
		bpci__free(r.name);
		bpci__free(r.daemon);
		if (id) {
			bpci__free(*id);
			*id = NULL;
		}
		return rc;
	}
	cm->next_replica++;
	rc = bpci__cm_persist(cm, diag);
	bpci__cm_emit(cm, BPCI_CLUSTER_REPLICA_ADDED, r.id, r.name, 0);
	if (!r.daemon)
		emit_status(cm, r.id);
	return rc;
}

int bpci_cluster_manager_remove_replica(bpci_cluster_manager *cm, const char *id,
					bpci_diag *diag)
{
	long i = cm ? bpci__cm_find_replica(cm, id) : -1;
	bpci__replica r;
	int rc;

	if (!cm)
		return BPCI_EINVAL;
	if (i < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "id",
				      "no replica \"%s\"", id ? id : "");
	r = cm->replicas[i];
	rc = bpci__cm_journal(cm, "replica.removed", r.id, NULL, diag);
	if (rc != 0)
		return rc;
	rc = bpci__cm_replica_stop(cm, &r, r.daemon, diag);
	if (rc == BPCI_ENOTFOUND || rc == BPCI_EUNREACHABLE)
		rc = 0;
	bpci_daemon_tree_remove_node(cm->tree, r.id);
	cm->replicas[i] = cm->replicas[--cm->nreplicas];
	if (rc == 0)
		rc = bpci__cm_persist(cm, diag);
	bpci__cm_emit(cm, BPCI_CLUSTER_REPLICA_REMOVED, r.id, r.name, 0);
	bpci__free(r.id);
	bpci__free(r.name);
	bpci__free(r.daemon);
	return rc;
}

int bpci__cm_start_missing(bpci_cluster_manager *cm, bpci_diag *diag)
{
	bpci_node_status *st = NULL;
	bpci_node_spec *spec = NULL;
	size_t i;
	int rc;

	for (i = 0; i < cm->nreplicas; i++) {
		/* Replicas on other daemons are run (and re-adopted) there. */
		if (cm->replicas[i].daemon)
			continue;
		if (bpci_coordinator_get_node(&st, cm->c, cm->replicas[i].id, NULL) == 0) {
			bpci_node_status_free(st);
			continue;
		}
		rc = bpci__cm_replica_spec(&spec, cm, &cm->replicas[i], diag);
		if (rc == 0)
			rc = bpci_coordinator_start_node(NULL, cm->c, spec, NULL, diag);
		bpci_node_spec_free(spec);
		spec = NULL;
		if (rc != 0 && rc != BPCI_ENOTFOUND)
			bpci__diag_add(diag, BPCI_SEVERITY_WARNING, rc, "replicas",
				       "cannot start replica %s again: %s", cm->replicas[i].id,
				       bpci_strerror(rc));
	}
	return 0;
}

int bpci_cluster_manager_rebalance_under(char **plan_json, bpci_cluster_manager *cm,
					 const char *under, int dry_run, bpci_diag *diag)
{
	bpci_daemon_tree_plan *plan = NULL;
	char *moves = NULL;
	int rc;

	if (plan_json)
		*plan_json = NULL;
	if (!cm)
		return BPCI_EINVAL;
	if (!under)
		return bpci_cluster_manager_rebalance(plan_json, cm, NULL, 0, dry_run, diag);
	/* Plan the domain here, then carry it out as given moves: each is
	 * checked again against the tree, domain included. */
	rc = bpci_daemon_tree_rebalance_under(&plan, cm->tree, under, diag);
	if (rc == 0)
		rc = bpci_daemon_tree_plan_to_json(&moves, plan);
	if (rc == 0)
		rc = bpci_cluster_manager_rebalance(plan_json, cm, moves, strlen(moves), dry_run,
						    diag);
	bpci__free(moves);
	bpci_daemon_tree_plan_free(plan);
	return rc;
}
