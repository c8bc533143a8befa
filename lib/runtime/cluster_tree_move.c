/*
 * Moving replicas between daemons of the tree (rebalance, removing a
 * daemon) through runtime/cluster_moves.h: start the new instance, wait
 * until it runs, journal replica.moved, stop the old one. No downtime:
 * the old instance serves until the new one is up.
 */
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "plan/daemon_tree_internal.h"
#include "runtime/cluster_internal.h"
#include "runtime/cluster_migrate.h"
#include "runtime/cluster_moves.h"

int bpci_cluster_manager_rebalance(char **plan_json, bpci_cluster_manager *cm,
				   const char *moves, size_t len, int dry_run, bpci_diag *diag)
{
	bpci_daemon_tree_plan *plan = NULL;
	bpci_daemon_tree *check = NULL;
	int rc;

	if (plan_json)
		*plan_json = NULL;
	if (!cm)
		return BPCI_EINVAL;
	rc = moves ? bpci_daemon_tree_plan_parse(&plan, moves, len, diag)
		   : bpci_daemon_tree_rebalance(&plan, cm->tree, diag);
	/* Given moves are checked as a whole before any replica moves. */
	if (rc == 0 && moves)
		rc = bpci_daemon_tree_dup(&check, cm->tree);
	if (rc == 0 && moves)
		rc = bpci_daemon_tree_apply(check, plan, diag);
	bpci_daemon_tree_free(check);
	if (rc == 0 && !dry_run)
		rc = bpci__cm_moves_run(cm, plan, diag);
	if (rc == 0 && !dry_run && bpci_daemon_tree_plan_count(plan))
		bpci__cm_emit(cm, BPCI_CLUSTER_DAEMON_TREE_UPDATED, bpci_daemon_tree_root(cm->tree),
			      "rebalanced", 0);
	if (plan_json && (rc == 0 || plan) && bpci_daemon_tree_plan_to_json(plan_json, plan) != 0)
		rc = rc ? rc : BPCI_ENOMEM;
	bpci_daemon_tree_plan_free(plan);
	return rc;
}

/* Where daemon @id runs (its parent, copied) and whether it is remote. */
static int removed_parent(bpci_cluster_manager *cm, const char *id, char **parent,
			  int *remote)
{
	const bpci_daemon_spec *s = id ? bpci_daemon_tree_get(cm->tree, id) : NULL;

	if (!s || !bpci_daemon_spec_parent(s))
		return 0; /* the model names the error (unknown daemon, the root) */
	*remote = bpci_daemon_spec_remote(s);
	if (!(*parent = bpci__strdup(bpci_daemon_spec_parent(s))))
		return BPCI_ENOMEM;
	return 0;
}

/* Ids of the REMOTE daemons whose parent is @id (copies), or NULL. */
static char **remote_children(const bpci_cluster_manager *cm, const char *id, size_t *n)
{
	char **out = bpci__calloc(cm->tree->nd + 1, sizeof(*out));
	size_t i;

	*n = 0;
	for (i = 1; out && i < cm->tree->nd; i++) {
		const bpci_daemon_spec *s = cm->tree->d[i].spec;
		const char *p = bpci_daemon_spec_parent(s);

		if (p && !strcmp(p, id) && bpci_daemon_spec_remote(s) &&
		    (out[*n] = bpci__strdup(bpci_daemon_spec_id(s))) != NULL)
			(*n)++;
	}
	return out;
}

/* The whole removal planned on the placement view (daemons that cannot be
 * reached take nothing): a replica that fits nowhere refuses it here,
 * before anything changes (the placement names it and the reason per
 * daemon). */
static int plan_removal(bpci_daemon_tree_plan **plan, bpci_cluster_manager *cm,
			const char *id, bpci_diag *diag)
{
	bpci_daemon_tree *view = NULL;
	int rc = bpci__cm_placement_view(&view, cm);

	if (rc == 0)
		rc = bpci_daemon_tree_remove(plan, view, id, diag);
	bpci_daemon_tree_free(view);
	return rc;
}

int bpci__cm_removal_plan(char **plan_json, bpci_cluster_manager *cm, const char *id,
			  bpci_diag *diag)
{
	bpci_daemon_tree_plan *plan = NULL;
	char *parent = NULL;
	int remote = 0, rc = removed_parent(cm, id, &parent, &remote);

	*plan_json = NULL;
	if (rc == 0)
		rc = plan_removal(&plan, cm, id, diag);
	if (rc == 0)
		rc = bpci_daemon_tree_plan_to_json(plan_json, plan);
	bpci_daemon_tree_plan_free(plan);
	bpci__free(parent);
	return rc;
}

/* Journaled: the children belong to @parent (the local ones are
 * released by the removed daemon and told, the remote ones told), then a
 * LOCAL removed daemon is stopped by its parent (SIGTERM: it stops its
 * own nodes, moved away already). A stop that fails (the parent is
 * unreachable) leaves the removal in place and is a warning. */
static int after_removal(bpci_cluster_manager *cm, const char *id, const char *parent,
			 int remote, json_t *kids, char **rkids, size_t nrkids, bpci_diag *diag)
{
	size_t k;
	int st = 0, told = 1;

	bpci__cm_hand_children(cm, kids, id, parent, diag);
	for (k = 0; k < nrkids; k++)
		(void)bpci__cm_redirect(cm, rkids[k], diag);
	if (!remote && (st = bpci__cm_stop_local(cm, id, parent, NULL)) != 0)
		bpci__diag_add(diag, BPCI_SEVERITY_WARNING, st, "daemon_id",
			       "daemon \"%s\" was removed from the tree but its parent "
			       "\"%s\" could not stop it: %s", id, parent, bpci_strerror(st));
	for (k = 0; k < bpci_diag_count(diag); k++)
		if (bpci_diag_get(diag, k)->severity == BPCI_SEVERITY_WARNING)
			told = 0;
	return told;
}

/* Move the replicas (make before break), have @parent adopt the local
 * children, then the tree without @id in *@t. */
static int migrate_out(bpci_daemon_tree **t, bpci_cluster_manager *cm, const char *id,
		       const char *parent, const bpci_daemon_tree_plan *plan, json_t *kids,
		       bpci_diag *diag)
{
	bpci_daemon_tree_plan *rest = NULL;
	int rc = bpci__cm_moves_run(cm, plan, diag);

	if (rc == 0)
		rc = bpci__cm_adopt_children(cm, kids, parent, diag);
	if (rc == 0)
		rc = bpci_daemon_tree_dup(t, cm->tree);
	if (rc == 0)
		rc = bpci_daemon_tree_remove(&rest, *t, id, diag);
	bpci_daemon_tree_plan_free(rest);
	return rc;
}

int bpci_cluster_manager_remove_daemon(char **plan_json, bpci_cluster_manager *cm,
				       const char *daemon_id, bpci_diag *diag)
{
	bpci_daemon_tree_plan *plan = NULL;
	bpci_daemon_tree *t = NULL;
	char *text = NULL, *details, *parent = NULL, **rkids;
	json_t *kids = NULL;
	size_t k, nrkids = 0;
	int rc, remote = 0;

	if (plan_json)
		*plan_json = NULL;
	if (!cm)
		return BPCI_EINVAL;
	rc = removed_parent(cm, daemon_id, &parent, &remote);
	/* Refusals first, with nothing changed: the whole plan on a copy,
	 * then the handover records of its local children. */
	if (rc == 0)
		rc = plan_removal(&plan, cm, daemon_id, diag);
	if (rc == 0)
		rc = bpci_daemon_tree_plan_to_json(&text, plan);
	if (rc == 0)
		rc = bpci__cm_children_records(&kids, cm, daemon_id, diag);
	if (rc == 0 && cm->daemon_on)
		rc = bpci__cm_pending_write(cm, "remove", daemon_id, daemon_id, parent, kids);
	if (rc == 0)
		rc = migrate_out(&t, cm, daemon_id, parent, plan, kids, diag);
	bpci_daemon_tree_plan_free(plan);
	if (rc != 0) {
		if (cm->daemon_on && kids)
			bpci__cm_pending_clear(cm);
		bpci_daemon_tree_free(t);
		bpci__free(text);
		bpci__free(parent);
		json_decref(kids);
		return rc;
	}
	rkids = remote_children(cm, daemon_id, &nrkids);
	details = bpci__asprintf("{\"plan\":%s}", text);
	rc = bpci__cm_tree_commit(cm, t, "daemon.removed", daemon_id, details, "removed", diag);
	bpci__free(details);
	if (rc == 0)
		bpci__cm_progress(cm, "remove daemon %s: journaled", daemon_id);
	if (rc == 0 && after_removal(cm, daemon_id, parent, remote, kids, rkids, nrkids, diag))
		bpci__cm_pending_clear(cm);
	for (k = 0; k < nrkids; k++)
		bpci__free(rkids[k]);
	bpci__free(rkids);
	json_decref(kids);
	bpci__free(parent);
	if (plan_json)
		*plan_json = text;
	else
		bpci__free(text);
	return rc;
}
