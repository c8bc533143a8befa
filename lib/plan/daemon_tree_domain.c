/*
 * load_balancing domains of the daemon tree. A daemon with load_balancing
 * (and always the root) is a placement domain for its subtree: a node
 * placed "under" it stays within its subtree, and a rebalance of the
 * domain moves only the domain's own nodes, only within it. The nodes
 * of other domains count as fixed reservations of their daemons.
 */
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "plan/daemon_tree_internal.h"

int bpci__dt_in_subtree(const bpci_daemon_tree *t, size_t i, size_t anc)
{
	long p = (long)i;
	size_t steps = 0;

	/* The bound guards against a corrupt (cyclic) tree. */
	while (p >= 0 && steps++ <= t->nd) {
		if ((size_t)p == anc)
			return 1;
		p = bpci__dt_parent(t, (size_t)p);
	}
	return 0;
}

int bpci__dt_is_domain(const bpci_daemon_tree *t, size_t i)
{
	return i == 0 || (bpci_daemon_spec_responsibilities(t->d[i].spec) &
			  BPCI_RESPONSIBILITY_LOAD_BALANCING);
}

size_t bpci__dt_node_domain(const bpci_daemon_tree *t, const dt_node *n)
{
	long d = n->domain ? bpci__dt_find(t, n->domain) : -1;

	return d > 0 && bpci__dt_is_domain(t, (size_t)d) ? (size_t)d : 0;
}

/* Record domain @dom (0: the root, stored as none) on node @n. */
static int set_domain(bpci_daemon_tree *t, dt_node *n, size_t dom)
{
	char *copy = dom ? bpci__strdup(bpci_daemon_spec_id(t->d[dom].spec)) : NULL;

	if (dom && !copy)
		return BPCI_ENOMEM;
	bpci__free(n->domain);
	n->domain = copy;
	return 0;
}

int bpci__dt_fix_domain(bpci_daemon_tree *t, dt_node *n)
{
	long d = bpci__dt_find(t, n->daemon), dom = (long)bpci__dt_node_domain(t, n);

	bpci__dt_changed(t);
	if (d < 0)
		return 0;
	while (dom > 0 && (!bpci__dt_is_domain(t, (size_t)dom) ||
			   !bpci__dt_in_subtree(t, (size_t)d, (size_t)dom)))
		dom = bpci__dt_parent(t, (size_t)dom);
	return set_domain(t, n, dom > 0 ? (size_t)dom : 0);
}

int bpci_daemon_tree_check_domain(const bpci_daemon_tree *t, const char *under,
				  bpci_diag *diag)
{
	long d;

	if (!t)
		return BPCI_EINVAL;
	if (!under)
		return 0;
	if ((d = bpci__dt_find(t, under)) < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "under",
				      "no daemon \"%s\" in the tree", under);
	if (!bpci__dt_is_domain(t, (size_t)d))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "under",
				      "daemon \"%s\" has no load_balancing responsibility, so it "
				      "is not a placement domain (give it load_balancing, or "
				      "place under the root \"%s\")", under, bpci_daemon_tree_root(t));
	return 0;
}

int bpci_daemon_tree_place_node_under(const char **daemon, bpci_daemon_tree *t,
				      const bpci_placement_request *req, const char *under,
				      bpci_diag *diag)
{
	dt_view v = DT_VIEW_ALL;
	const char *where = NULL;
	char *copy;
	int rc;

	if (!t || !req || !req->id)
		return BPCI_EINVAL;
	if ((rc = bpci_daemon_tree_check_domain(t, under, diag)) != 0)
		return rc;
	if ((rc = bpci__dt_index_nodes(t)) != 0)
		return rc;
	if (bpci__dt_find_node(t, req->id) >= 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EEXISTS, "id",
				      "node \"%s\" is already placed on daemon \"%s\"", req->id,
				      bpci_daemon_tree_node_daemon(t, req->id));
	v.within = under ? bpci__dt_find(t, under) : 0;
	/* The whole tree: the kept view, which keeps the node placed. */
	if (v.within <= 0)
		rc = bpci__dt_place_cached(&where, t, req, diag);
	else
		rc = bpci__dt_place_one(&where, t, req, &v, diag);
	/* @where is borrowed from the tree, which bpci__dt_node_push grows. */
	copy = rc == 0 ? bpci__strdup(where) : NULL;
	if (rc == 0 && !copy)
		rc = BPCI_ENOMEM;
	if (rc == 0)
		rc = bpci__dt_node_push(t, req, copy);
	/* Only a node the kept view placed and the tree recorded leaves it current. */
	if (rc != 0 || v.within > 0)
		bpci__dt_changed(t);
	if (rc == 0 && v.within > 0 &&
	    (rc = set_domain(t, &t->n[t->nn - 1], (size_t)v.within)) != 0)
		bpci_daemon_tree_remove_node(t, req->id);
	bpci__free(copy);
	if (rc == 0 && daemon)
		*daemon = bpci_daemon_tree_node_daemon(t, req->id);
	return rc;
}

const char *bpci_daemon_tree_node_domain(const bpci_daemon_tree *t, const char *node_id)
{
	long i = t ? bpci__dt_find_node(t, node_id) : -1;

	return i >= 0 ? bpci_daemon_spec_id(t->d[bpci__dt_node_domain(t, &t->n[i])].spec) : NULL;
}

int bpci_daemon_tree_set_node_domain(bpci_daemon_tree *t, const char *node_id,
				     const char *domain, bpci_diag *diag)
{
	long i = t ? bpci__dt_find_node(t, node_id) : -1, d;
	int rc = bpci_daemon_tree_check_domain(t, domain, diag);

	bpci__dt_changed(t);
	if (rc != 0)
		return rc;
	if (i < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "node",
				      "no node \"%s\" in the tree", node_id ? node_id : "");
	d = domain ? bpci__dt_find(t, domain) : 0;
	return set_domain(t, &t->n[i], (size_t)d);
}

/* Rebalance domain @dom on @c, appending the moves to @plan and, unless
 * @last, carrying them out on @c (the next domain sees them). */
static int rebalance_domain(bpci_daemon_tree_plan *plan, bpci_daemon_tree *c, size_t dom,
			    int last, bpci_diag *diag)
{
	bpci_placement_plan *pp = NULL;
	bpci_placement *pl = NULL;
	dt_view v = DT_VIEW_ALL;
	size_t k;
	long n;
	int rc;

	v.within = (long)dom;
	v.domain = (long)dom;
	rc = bpci__dt_placement_view(&pl, c, &v, diag);
	if (rc == 0)
		rc = bpci_placement_rebalance(&pp, pl, diag);
	for (k = 0; rc == 0 && k < bpci_placement_plan_count(pp); k++) {
		const bpci_placement_move *mv = bpci_placement_plan_at(pp, k);
		char *to = NULL;

		if (!mv->to || !mv->from)
			continue;
		rc = bpci__dt_plan_add(plan, BPCI_DAEMON_STEP_MOVE_NODE, mv->node, mv->from, mv->to);
		n = rc == 0 && !last ? bpci__dt_find_node(c, mv->node) : -1;
		if (n >= 0 && !(to = bpci__strdup(mv->to)))
			rc = BPCI_ENOMEM;
		else if (n >= 0) {
			bpci__free(c->n[n].daemon);
			c->n[n].daemon = to;
		}
	}
	bpci_placement_plan_free(pp);
	bpci_placement_free(pl);
	return rc;
}

/* Domains with nodes, innermost first: deeper levels before shallower
 * ones, the root last; equal levels in the tree's order. (An empty domain
 * has nothing to balance: with every daemon a domain by default, most are.) */
static size_t domain_order(const bpci_daemon_tree *t, size_t *order)
{
	unsigned int level, deepest = 1, *lv = bpci__calloc(t->nd + 1, sizeof(*lv));
	unsigned char *has = bpci__calloc(t->nd + 1, 1);
	size_t i, k, n = 0;
	dt_index x;
	long p;

	if (!lv || !has || bpci__dt_index_build(&x, t) != 0) {
		bpci__free(lv);
		bpci__free(has);
		return (size_t)-1;
	}
	for (k = 0; k < t->nn; k++)
		has[bpci__dt_index_node_domain(&x, t, k)] = 1;
	for (i = 0; i < t->nd; i++) {
		/* As bpci__dt_level(), with the parents looked up once. */
		for (lv[i] = 1, p = x.parent[i]; p >= 0 && lv[i] <= t->nd; p = x.parent[p])
			lv[i]++;
		if (lv[i] > deepest)
			deepest = lv[i];
	}
	for (level = deepest; level >= 1; level--)
		for (i = 0; i < t->nd; i++)
			if (lv[i] == level && bpci__dt_is_domain(t, i) && (i == 0 || has[i]))
				order[n++] = i;
	bpci__dt_index_free(&x);
	bpci__free(has);
	bpci__free(lv);
	return n;
}

int bpci_daemon_tree_rebalance_under(bpci_daemon_tree_plan **out, bpci_daemon_tree *t,
				     const char *under, bpci_diag *diag)
{
	bpci_daemon_tree_plan *plan = NULL;
	bpci_daemon_tree *c = NULL;
	size_t *order = NULL, n = 1, k;
	int rc;

	if (!out || !t)
		return BPCI_EINVAL;
	*out = NULL;
	if ((rc = bpci_daemon_tree_check_domain(t, under, diag)) != 0)
		return rc;
	plan = bpci__calloc(1, sizeof(*plan));
	order = bpci__calloc(t->nd, sizeof(*order));
	rc = plan && order ? 0 : BPCI_ENOMEM;
	if (rc == 0 && under)
		order[0] = (size_t)bpci__dt_find(t, under);
	else if (rc == 0 && (n = domain_order(t, order)) == (size_t)-1)
		rc = BPCI_ENOMEM;
	/* Moves are carried out on a copy for the domains after them; a
	 * single domain (the usual case) needs none. */
	if (rc == 0 && n > 1)
		rc = bpci_daemon_tree_dup(&c, t);
	for (k = 0; rc == 0 && k < n; k++)
		rc = rebalance_domain(plan, c ? c : t, order[k], k + 1 == n, diag);
	bpci_daemon_tree_free(c);
	bpci__free(order);
	if (rc != 0) {
		bpci_daemon_tree_plan_free(plan);
		return rc;
	}
	*out = plan;
	return 0;
}

int bpci_daemon_tree_rebalance(bpci_daemon_tree_plan **out, bpci_daemon_tree *t,
			       bpci_diag *diag)
{
	return bpci_daemon_tree_rebalance_under(out, t, NULL, diag);
}
