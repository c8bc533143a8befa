/*
 * The placement view kept between placements. Placing 100,000 nodes one
 * by one (bpci_daemon_tree_place_node()) must not build a placement
 * problem of every daemon and every node per node: the whole tree's view
 * is kept in the tree, the node just placed stays in it, and any other
 * change to the tree drops it (bpci__dt_changed()). A kept view answers
 * exactly as a fresh one would: the same daemons in the same order, the
 * same reservations, and the round-robin cursor a fresh view starts with.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "plan/daemon_tree_internal.h"
#include "plan/placement_internal.h"

void bpci__dt_changed(bpci_daemon_tree *t)
{
	if (!t)
		return;
	bpci_placement_free(t->cache);
	t->cache = NULL;
}

void bpci__dt_nodes_moved(bpci_daemon_tree *t)
{
	if (!t)
		return;
	bpci__strmap_free(&t->nmap);
	t->nmap_ok = 0;
}

void bpci__dt_nodes_renumbered(bpci_daemon_tree *t, size_t from)
{
	size_t k;

	for (k = from; t->nmap_ok && k < t->nn; k++)
		if (bpci__strmap_put(&t->nmap, t->n[k].id, (uint32_t)k) < 0)
			bpci__dt_nodes_moved(t);
}

int bpci__dt_index_nodes(bpci_daemon_tree *t)
{
	size_t k;

	if (t->nmap_ok)
		return 0;
	for (k = 0; k < t->nn; k++)
		if (bpci__strmap_put(&t->nmap, t->n[k].id, (uint32_t)k) < 0) {
			bpci__dt_nodes_moved(t);
			return BPCI_ENOMEM;
		}
	t->nmap_ok = 1;
	return 0;
}

/* Is the kept view still the tree's? Changes through the API drop it;
 * these guard against edits made behind the API's back (the manager
 * refreshing the root's capacity in place). */
static int cache_fresh(const bpci_daemon_tree *t)
{
	return t->cache && t->cache->nd == t->nd && t->cache->live == t->nn &&
	       !memcmp(&t->cache_root, bpci_daemon_spec_capacity(t->d[0].spec),
		       sizeof(t->cache_root));
}

static int cache_ready(bpci_daemon_tree *t, bpci_diag *diag)
{
	dt_view v = DT_VIEW_ALL;
	int rc;

	if (cache_fresh(t))
		return 0;
	bpci__dt_changed(t);
	rc = bpci__dt_placement_view(&t->cache, t, &v, diag);
	if (rc == 0)
		t->cache_root = *bpci_daemon_spec_capacity(t->d[0].spec);
	return rc;
}

/* Tree index of the daemon named @id in the whole tree's view: the view
 * holds every daemon in the tree's order. */
static long daemon_of(const bpci_daemon_tree *t, const char *id)
{
	uint32_t d = bpci__strmap_get(&t->cache->dmap, id);

	if (d != BPCI__STRMAP_NONE && d < t->nd && !strcmp(bpci_daemon_spec_id(t->d[d].spec), id))
		return (long)d;
	return bpci__dt_find(t, id);
}

int bpci__dt_place_cached(const char **where, bpci_daemon_tree *t,
			  const bpci_placement_request *req, bpci_diag *diag)
{
	bpci_placement_plan *plan = NULL;
	int rc = cache_ready(t, diag);

	if (rc != 0)
		return rc;
	t->cache->rr = 0;   /* where a fresh view's round robin starts */
	rc = bpci_placement_place(&plan, t->cache, req, 1, 0, NULL);
	if (rc != 0 && rc != BPCI_ELIMIT)
		bpci__dt_changed(t);  /* the view may be half way through */
	rc = bpci__dt_place_answer(where, t, req, rc, plan, daemon_of, diag);
	bpci_placement_plan_free(plan);
	return rc;
}
