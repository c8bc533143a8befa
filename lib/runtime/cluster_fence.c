/*
 * Fencing: a daemon that was failed and reports again (it was only cut
 * off, e.g. a partition or a stopped process) still runs the replicas
 * that were failed over elsewhere meanwhile. Before it counts as healthy
 * again the manager stops each of them on it, so exactly one instance of
 * a replica runs.
 *
 * Why the manager calls DELETE /api/nodes/{id} on the daemon's API (with
 * the token it relayed) instead of a field in the heartbeat answer the
 * daemon would act on: the manager learns that the stop happened (the
 * answer comes after the node stopped) and only then marks the daemon
 * healthy; a heartbeat answer is fire-and-forget. It also reaches daemons
 * deeper in the tree, whose heartbeats go to their own parent (a daemon,
 * not the manager) and are only relayed up, and it needs no change of the
 * daemon side: DELETE /api/nodes/{id} is the coordinator's own route.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "runtime/cluster_internal.h"

/* After a failed attempt: the daemon stays failed, retried this much later
 * (each attempt may block the manager up to the client timeout). */
#define FENCE_RETRY_MS 1000u

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int listed(json_t *ids, const char *id)
{
	json_t *v;
	size_t i;

	if (!json_is_array(ids))
		return 1; /* no list: it may run anything, try every one */
	json_array_foreach(ids, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), id))
			return 1;
	return 0;
}

/* Stop replica @r on daemon @id and journal replica.fenced. */
static int fence_one(bpci_cluster_manager *cm, const bpci__replica *r, const char *id)
{
	bpci_diag *diag = NULL;
	json_t *d;
	char *text;
	int rc;

	bpci_diag_new(&diag);
	rc = bpci__cm_replica_stop(cm, r, id, diag);
	if (rc == BPCI_ENOTFOUND) {
		bpci_diag_free(diag);
		return 0; /* not there (any more): nothing to fence */
	}
	if (rc != 0) {
		fprintf(stderr, "cluster manager: cannot fence replica %s on daemon %s: %s\n",
			r->id, id, diag && bpci_diag_count(diag) ? bpci_diag_get(diag, 0)->message
								 : bpci_strerror(rc));
		bpci_diag_free(diag);
		return rc;
	}
	bpci_diag_free(diag);
	d = json_pack("{s:s, s:s}", "daemon", id, "runs_on",
		      r->daemon ? r->daemon : bpci_daemon_tree_root(cm->tree));
	text = d ? json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(d);
	rc = text ? bpci__cm_journal(cm, "replica.fenced", r->id, text, NULL) : BPCI_ENOMEM;
	free(text);
	if (rc != 0)
		fprintf(stderr, "cluster manager: cannot journal replica.fenced of %s\n", r->id);
	bpci__cm_emit(cm, BPCI_CLUSTER_DAEMON_TREE_UPDATED, r->id, "fenced", 0);
	return 0;
}

int bpci__cm_fence(bpci_cluster_manager *cm, const char *id, struct json_t *node_ids)
{
	uint64_t now = mono_ms();
	int rc = 0;
	size_t i;

	if (cm->fence_ms && now - cm->fence_ms < FENCE_RETRY_MS)
		return BPCI_EBUSY;
	for (i = 0; i < cm->nreplicas; i++) {
		const bpci__replica *r = &cm->replicas[i];
		int one;

		if (bpci__cm_is_root(cm, id) || (r->daemon && !strcmp(r->daemon, id)) ||
		    !listed(node_ids, r->id))
			continue; /* its own, or not running there */
		one = fence_one(cm, r, id);
		if (one != 0 && rc == 0)
			rc = one;
	}
	cm->fence_ms = rc != 0 ? now : 0;
	return rc;
}
