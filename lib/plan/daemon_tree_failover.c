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

/* Place node @k of @c (taken off failed daemon @d) within the first scope
 * that takes it; *@by is that scope. BPCI_ELIMIT: none did (the root's
 * reasons in @diag). */
static int place_scoped(const char **to, size_t *by, const bpci_daemon_tree *c,
			const bpci_placement_request *req, size_t d, const size_t *sc,
			size_t nsc, bpci_diag *diag)
{
	dt_view v = DT_VIEW_ALL;
	size_t s;
	int rc = BPCI_ELIMIT;

	v.skip = (long)d;
	for (s = 0; s < nsc; s++) {
		v.within = (long)sc[s];
		/* Only the widest scope's refusal is worth reporting. */
		rc = bpci__dt_place_one(to, c, req, &v, s + 1 == nsc ? diag : NULL);
		if (rc != BPCI_ELIMIT) {
			*by = sc[s];
			return rc;
		}
	}
	return rc;
}

/* Fail over node @k of @c: on success it is on its new daemon in @c. */
static int fail_one(bpci_daemon_tree_plan *plan, bpci_daemon_tree *c, size_t k, size_t d,
		    const size_t *sc, size_t nsc, bpci_diag *diag)
{
	bpci_placement_request req;
	dt_node *n = &c->n[k];
	const char *to = NULL;
	char *old = n->daemon, *copy;
	size_t by = 0;
	int rc;

	bpci__dt_node_request(&req, n);
	/* Out of the placement problem while placed: the same id may not be
	 * there twice. */
	n->daemon = (char *)"";
	rc = place_scoped(&to, &by, c, &req, d, sc, nsc, diag);
	n->daemon = old;
	if (rc != 0)
		return rc;
	if (!(copy = bpci__strdup(to)))
		return BPCI_ENOMEM;
	rc = bpci__dt_plan_add_by(plan, BPCI_DAEMON_STEP_MOVE_NODE, n->id, old, copy,
				  bpci_daemon_spec_id(c->d[by].spec));
	if (rc != 0) {
		bpci__free(copy);
		return rc;
	}
	bpci__free(old);
	n->daemon = copy;
	return bpci__dt_fix_domain(c, n);
}

int bpci_daemon_tree_failover(bpci_daemon_tree_plan **out, const bpci_daemon_tree *t,
			      const char *daemon_id, bpci_diag *diag)
{
	bpci_daemon_tree_plan *plan = NULL;
	bpci_daemon_tree *c = NULL;
	long d = t ? bpci__dt_find(t, daemon_id) : -1;
	size_t *sc = NULL, nsc, k;
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
	rc = plan && sc ? bpci_daemon_tree_dup(&c, t) : BPCI_ENOMEM;
	nsc = rc == 0 ? scopes(t, (size_t)d, sc) : 0;
	for (k = 0; rc == 0 && k < c->nn; k++) {
		if (strcmp(c->n[k].daemon, daemon_id) != 0)
			continue;
		rc = fail_one(plan, c, k, (size_t)d, sc, nsc, diag);
		if (rc == BPCI_ELIMIT) {
			refused++;  /* the others still fail over */
			rc = 0;
		}
	}
	bpci_daemon_tree_free(c);
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
