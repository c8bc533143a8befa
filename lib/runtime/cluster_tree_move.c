/*
 * Moving replicas between daemons of the tree (rebalance, removing a
 * daemon) through runtime/cluster_moves.h: start the new instance, wait
 * until it runs, journal replica.moved, stop the old one. No downtime:
 * the old instance serves until the new one is up.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "plan/daemon_tree_internal.h"
#include "runtime/cluster_internal.h"
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

/* Where daemon @id runs (its parent, copied) and whether it is remote. A
 * LOCAL daemon's local children would die with it (its process stops
 * them) while the model lifts them to the grandparent: refused while the
 * tree runs for real. */
static int check_removable(bpci_cluster_manager *cm, const char *id, char **parent,
			   int *remote, bpci_diag *diag)
{
	const bpci_daemon_spec *s = id ? bpci_daemon_tree_get(cm->tree, id) : NULL;
	size_t i, local = 0;

	if (!s || !bpci_daemon_spec_parent(s))
		return 0; /* the model names the error (unknown daemon, the root) */
	*remote = bpci_daemon_spec_remote(s);
	for (i = 0; i < bpci_daemon_tree_count(cm->tree); i++) {
		const bpci_daemon_spec *k = bpci_daemon_tree_at(cm->tree, i);

		if (bpci_daemon_spec_parent(k) && !strcmp(bpci_daemon_spec_parent(k), id) &&
		    !bpci_daemon_spec_remote(k))
			local++;
	}
	if (cm->daemon_on && !*remote && local)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EBUSY, "daemon_id",
				      "local daemon \"%s\" has %zu local child daemons, which "
				      "stop with it: remove them first", id, local);
	if (bpci_daemon_spec_parent(s) && !(*parent = bpci__strdup(bpci_daemon_spec_parent(s))))
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

int bpci_cluster_manager_remove_daemon(char **plan_json, bpci_cluster_manager *cm,
				       const char *daemon_id, bpci_diag *diag)
{
	bpci_daemon_tree_plan *plan = NULL, *rest = NULL;
	bpci_daemon_tree *t = NULL;
	char *text = NULL, *details, *parent = NULL, **kids;
	size_t k, nkids = 0;
	int rc, remote = 0;

	if (plan_json)
		*plan_json = NULL;
	if (!cm)
		return BPCI_EINVAL;
	rc = check_removable(cm, daemon_id, &parent, &remote, diag);
	if (rc != 0)
		return rc;
	/* Plan on a copy; move the replicas for real; then remove for real
	 * (its nodes are gone by then, so the second plan has no node moves). */
	rc = bpci_daemon_tree_dup(&t, cm->tree);
	if (rc == 0)
		rc = bpci_daemon_tree_remove(&plan, t, daemon_id, diag);
	bpci_daemon_tree_free(t);
	t = NULL;
	if (rc == 0)
		rc = bpci__cm_moves_run(cm, plan, diag);
	if (rc == 0)
		rc = bpci_daemon_tree_dup(&t, cm->tree);
	if (rc == 0)
		rc = bpci_daemon_tree_remove(&rest, t, daemon_id, diag);
	if (rc == 0)
		rc = bpci_daemon_tree_plan_to_json(&text, plan);
	bpci_daemon_tree_plan_free(plan);
	bpci_daemon_tree_plan_free(rest);
	if (rc != 0) {
		bpci_daemon_tree_free(t);
		bpci__free(text);
		bpci__free(parent);
		return rc;
	}
	kids = remote_children(cm, daemon_id, &nkids);
	details = bpci__asprintf("{\"plan\":%s}", text);
	rc = bpci__cm_tree_commit(cm, t, "daemon.removed", daemon_id, details, "removed", diag);
	bpci__free(details);
	/* Its remote children now belong to its parent: tell them. */
	for (k = 0; k < nkids; k++) {
		if (rc == 0)
			(void)bpci__cm_redirect(cm, kids[k], diag);
		bpci__free(kids[k]);
	}
	bpci__free(kids);
	/* Journaled: a LOCAL daemon is stopped by its parent now (SIGTERM: it
	 * stops its own nodes, already moved away, and children). A stop that
	 * fails (the parent is unreachable) leaves the removal in place and
	 * is reported as a warning. */
	if (rc == 0 && !remote) {
		int st = bpci__cm_stop_local(cm, daemon_id, parent, NULL);

		if (st != 0)
			bpci__diag_add(diag, BPCI_SEVERITY_WARNING, st, "daemon_id",
				       "daemon \"%s\" was removed from the tree but its parent "
				       "\"%s\" could not stop it: %s", daemon_id, parent,
				       bpci_strerror(st));
	}
	bpci__free(parent);
	if (plan_json)
		*plan_json = text;
	else
		bpci__free(text);
	return rc;
}
