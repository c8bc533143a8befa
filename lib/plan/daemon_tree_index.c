/*
 * A transient index of the daemon tree for the operations that look at
 * every node against every daemon (placement views, rebalance, failover):
 * daemon ids hashed, parents and what each daemon's local children and
 * nodes take computed once, in O(daemons + nodes), instead of one scan of
 * the tree per daemon and per node. Built from the tree as it is; any
 * change to the tree makes it stale, so it lives for one operation only.
 */
#include <string.h>

#include "common/alloc.h"
#include "plan/daemon_tree_internal.h"

void bpci__dt_index_free(dt_index *x)
{
	bpci__strmap_free(&x->dmap);
	bpci__free(x->parent);
	bpci__free(x->children);
	bpci__free(x->nodes);
	bpci__free(x->node_daemon);
	memset(x, 0, sizeof(*x));
}

long bpci__dt_index_find(const dt_index *x, const char *id)
{
	uint32_t v = id ? bpci__strmap_get(&x->dmap, id) : BPCI__STRMAP_NONE;

	return v == BPCI__STRMAP_NONE ? -1 : (long)v;
}

static int fill(dt_index *x, const bpci_daemon_tree *t)
{
	size_t i, k;
	long p;

	for (i = 0; i < t->nd; i++)
		if (bpci__strmap_put(&x->dmap, bpci_daemon_spec_id(t->d[i].spec), (uint32_t)i) < 0)
			return BPCI_ENOMEM;
	for (i = 0; i < t->nd; i++) {
		p = bpci__dt_index_find(x, bpci_daemon_spec_parent(t->d[i].spec));
		x->parent[i] = p;
		/* A local child runs on its parent's host (bpci__dt_taken()). */
		if (p >= 0 && !bpci_daemon_spec_remote(t->d[i].spec))
			bpci__dt_res_add(&x->children[p], bpci_daemon_spec_capacity(t->d[i].spec));
	}
	for (k = 0; k < t->nn; k++) {
		x->node_daemon[k] = bpci__dt_index_find(x, t->n[k].daemon);
		if (x->node_daemon[k] >= 0)
			bpci__dt_res_add(&x->nodes[x->node_daemon[k]], &t->n[k].need);
	}
	return 0;
}

int bpci__dt_index_build(dt_index *x, const bpci_daemon_tree *t)
{
	int rc;

	memset(x, 0, sizeof(*x));
	x->parent = bpci__calloc(t->nd + 1, sizeof(*x->parent));
	x->children = bpci__calloc(t->nd + 1, sizeof(*x->children));
	x->nodes = bpci__calloc(t->nd + 1, sizeof(*x->nodes));
	x->node_daemon = bpci__calloc(t->nn + 1, sizeof(*x->node_daemon));
	rc = x->parent && x->children && x->nodes && x->node_daemon ? fill(x, t) : BPCI_ENOMEM;
	if (rc != 0)
		bpci__dt_index_free(x);
	return rc;
}

int bpci__dt_index_in_subtree(const dt_index *x, size_t nd, size_t i, size_t anc)
{
	long p = (long)i;
	size_t steps = 0;

	/* The bound guards against a corrupt (cyclic) tree, as bpci__dt_in_subtree(). */
	while (p >= 0 && steps++ <= nd) {
		if ((size_t)p == anc)
			return 1;
		p = x->parent[p];
	}
	return 0;
}

size_t bpci__dt_index_node_domain(const dt_index *x, const bpci_daemon_tree *t, size_t k)
{
	long d = t->n[k].domain ? bpci__dt_index_find(x, t->n[k].domain) : -1;

	return d > 0 && bpci__dt_is_domain(t, (size_t)d) ? (size_t)d : 0;
}
