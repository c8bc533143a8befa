/*
 * fault_recovery scopes of the daemon tree. The nodes of a failed daemon
 * are failed over by its nearest ANCESTOR with fault_recovery: targets
 * are looked for within that ancestor's subtree first, then within the
 * next fault_recovery ancestor's, up to the root, which always acts as
 * the last resort. Each move names the daemon that acted ("by").
 */
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "plan/daemon_tree_internal.h"

/* The acting ancestors of daemon @d, nearest first, the root last. */
static size_t scopes(const bpci_daemon_tree *t, size_t d, size_t *out)
{
	long p = bpci__dt_parent(t, d);
	size_t n = 0;

	while (p >= 0 && n < t->nd) {
		if (p == 0 || (bpci_daemon_spec_responsibilities(t->d[p].spec) &
			       BPCI_RESPONSIBILITY_FAULT_RECOVERY))
			out[n++] = (size_t)p;
		p = bpci__dt_parent(t, (size_t)p);
	}
	return n;
}

/* One placement problem per scope, built once: the failed daemon hosts
 * nothing and its nodes are out (they are placed again one by one). */
static int build(bpci_placement **pl, const bpci_daemon_tree *t, size_t d, const size_t *sc,
		 size_t nsc, bpci_diag *diag)
{
	const char *id = bpci_daemon_spec_id(t->d[d].spec);
	dt_view v = DT_VIEW_ALL;
	size_t s, k;
	int rc = 0;

	v.skip = (long)d;
	for (s = 0; rc == 0 && s < nsc; s++) {
		v.within = (long)sc[s];
		rc = bpci__dt_placement_view(&pl[s], t, &v, diag);
		for (k = 0; rc == 0 && k < t->nn; k++)
			if (!strcmp(t->n[k].daemon, id))
				bpci_placement_remove_node(pl[s], t->n[k].id);
	}
	return rc;
}

/* Place node @n within the first scope that takes it, and record it in
 * every problem that holds its new daemon. */
static int fail_one(bpci_daemon_tree_plan *plan, const bpci_daemon_tree *t, const dt_node *n,
		    bpci_placement **pl, const size_t *sc, size_t nsc, bpci_diag *diag)
{
	bpci_placement_request req;
	bpci_placement_plan *pp = NULL;
	const bpci_placement_move *mv = NULL;
	char *reason = NULL, *to = NULL;
	size_t s, by = 0, o;
	int rc = 0;

	bpci__dt_node_request(&req, n);
	for (s = 0; rc == 0 && !to && s < nsc; s++) {
		bpci_placement_plan_free(pp);
		pp = NULL;
		rc = bpci_placement_place(&pp, pl[s], &req, 1, 0, NULL);
		if (rc == BPCI_ELIMIT)
			rc = 0;
		mv = bpci_placement_plan_at(pp, 0);
		if (rc == 0 && mv && mv->to) {
			by = sc[s];
			rc = (to = bpci__strdup(mv->to)) ? 0 : BPCI_ENOMEM;
		}
	}
	if (rc == 0 && !to) {
		/* Only the widest scope's refusal is worth reporting. */
		reason = bpci__strdup(mv && mv->reason ? mv->reason : "refused");
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, "resources",
				    "node \"%s\" fits on no daemon within %u%% of its capacity: "
				    "%s", n->id, t->pct, reason ? reason : "refused");
	}
	for (o = 0; rc == 0 && o < nsc; o++)
		if (sc[o] != by)
			(void)bpci_placement_add_node(pl[o], &req, to, NULL);  /* not there: fine */
	if (rc == 0)
		rc = bpci__dt_plan_add_by(plan, BPCI_DAEMON_STEP_MOVE_NODE, n->id, n->daemon, to,
					  bpci_daemon_spec_id(t->d[by].spec));
	bpci_placement_plan_free(pp);
	bpci__free(reason);
	bpci__free(to);
	return rc;
}

int bpci_daemon_tree_failover(bpci_daemon_tree_plan **out, const bpci_daemon_tree *t,
			      const char *daemon_id, bpci_diag *diag)
{
	bpci_daemon_tree_plan *plan = NULL;
	bpci_placement **pl = NULL;
	long d = t ? bpci__dt_find(t, daemon_id) : -1;
	size_t *sc = NULL, nsc = 0, k;
	int rc, refused = 0;

	if (!out || !t)
		return BPCI_EINVAL;
	*out = NULL;
	if (d < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "daemon",
				      "no daemon \"%s\" in the tree", daemon_id ? daemon_id : "");
	if (d == 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "daemon",
				      "the root \"%s\" has no ancestor to fail over to", daemon_id);
	plan = bpci__calloc(1, sizeof(*plan));
	sc = bpci__calloc(t->nd, sizeof(*sc));
	pl = bpci__calloc(t->nd, sizeof(*pl));
	rc = plan && sc && pl ? 0 : BPCI_ENOMEM;
	if (rc == 0) {
		nsc = scopes(t, (size_t)d, sc);
		rc = build(pl, t, (size_t)d, sc, nsc, diag);
	}
	for (k = 0; rc == 0 && k < t->nn; k++) {
		if (strcmp(t->n[k].daemon, daemon_id) != 0)
			continue;
		rc = fail_one(plan, t, &t->n[k], pl, sc, nsc, diag);
		if (rc == BPCI_ELIMIT) {
			refused++;  /* the others still fail over */
			rc = 0;
		}
	}
	for (k = 0; pl && k < nsc; k++)
		bpci_placement_free(pl[k]);
	bpci__free(pl);
	bpci__free(sc);
	if (rc != 0) {
		bpci_daemon_tree_plan_free(plan);
		return rc;
	}
	*out = plan;
	return refused ? BPCI_ELIMIT : 0;
}

const char *bpci_daemon_tree_recovery_daemon(const bpci_daemon_tree *t, const char *daemon_id)
{
	long d = t ? bpci__dt_find(t, daemon_id) : -1, p;

	if (d <= 0)
		return NULL;
	p = bpci__dt_parent(t, (size_t)d);
	while (p > 0 && !(bpci_daemon_spec_responsibilities(t->d[p].spec) &
			  BPCI_RESPONSIBILITY_FAULT_RECOVERY))
		p = bpci__dt_parent(t, (size_t)p);
	return bpci_daemon_spec_id(t->d[p > 0 ? p : 0].spec);
}
