/*
 * Changing the daemon tree: add, move, remove, and the rules they check.
 * Every change works on a copy that replaces the tree only when all of
 * it succeeded, so a refusal (or ENOMEM half-way) leaves nothing behind.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "plan/daemon_tree_internal.h"

static const char *const res_names[DT_NRES] = {"cpu", "memory", "storage", "network", "gpu"};

uint64_t bpci__dt_res(const bpci_resources *r, int k)
{
	switch (k) {
	case 0: return r->cpu_millicores;
	case 1: return r->memory_bytes;
	case 2: return r->storage_bytes;
	case 3: return r->network_mbps;
	default: return r->gpu_units;
	}
}

void bpci__dt_res_add(bpci_resources *r, const bpci_resources *x)
{
	r->cpu_millicores += x->cpu_millicores;
	r->memory_bytes += x->memory_bytes;
	r->storage_bytes += x->storage_bytes;
	r->network_mbps += x->network_mbps;
	r->gpu_units += x->gpu_units;
}

void bpci__dt_taken(const bpci_daemon_tree *t, size_t i, bpci_resources *children,
		    bpci_resources *nodes)
{
	const char *id = bpci_daemon_spec_id(t->d[i].spec), *p;
	size_t k;

	memset(children, 0, sizeof(*children));
	memset(nodes, 0, sizeof(*nodes));
	for (k = 0; k < t->nd; k++)
		if ((p = bpci_daemon_spec_parent(t->d[k].spec)) && !strcmp(p, id) &&
		    !bpci_daemon_spec_remote(t->d[k].spec))
			bpci__dt_res_add(children, bpci_daemon_spec_capacity(t->d[k].spec));
	for (k = 0; k < t->nn; k++)
		if (!strcmp(t->n[k].daemon, id))
			bpci__dt_res_add(nodes, &t->n[k].need);
}

/* "8" cores, "16Gi" bytes: one amount in the units of bpci_resources_format(). */
static char *amount(int k, uint64_t v)
{
	bpci_resources r;
	char *text = NULL, *eq, *out;

	memset(&r, 0, sizeof(r));
	switch (k) {
	case 0: r.cpu_millicores = v; break;
	case 1: r.memory_bytes = v; break;
	case 2: r.storage_bytes = v; break;
	case 3: r.network_mbps = v; break;
	default: r.gpu_units = v; break;
	}
	if (v == 0)
		return bpci__strdup("0");
	if (bpci_resources_format(&text, &r) != 0)
		return NULL;
	eq = strchr(text, '=');
	out = bpci__strdup(eq ? eq + 1 : text);
	bpci__free(text);
	return out;
}

int bpci__dt_check_capacity(const bpci_daemon_tree *t, size_t i, bpci_diag *diag)
{
	const bpci_resources *cap = bpci_daemon_spec_capacity(t->d[i].spec);
	bpci_resources ch, nd;
	int k, rc = 0;

	bpci__dt_taken(t, i, &ch, &nd);
	for (k = 0; k < DT_NRES; k++) {
		uint64_t c = bpci__dt_res(cap, k), a = bpci__dt_res(&ch, k), b = bpci__dt_res(&nd, k);
		char *sc, *sa, *sb;

		if (c == 0 || a + b <= c)
			continue;
		sc = amount(k, c);
		sa = amount(k, a);
		sb = amount(k, b);
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, "capacity",
				    "overcommits daemon \"%s\": its local children would take %s "
				    "%s and its nodes reserve %s %s, more than its capacity %s %s",
				    bpci_daemon_spec_id(t->d[i].spec), sa ? sa : "?", res_names[k],
				    sb ? sb : "?", res_names[k], sc ? sc : "?", res_names[k]);
		bpci__free(sc);
		bpci__free(sa);
		bpci__free(sb);
	}
	return rc;
}

/* Depth-first preorder from daemon @i into @order; @seen guards cycles. */
static void preorder(const bpci_daemon_tree *t, size_t i, size_t *order, size_t *n,
		     unsigned char *seen)
{
	const char *id = bpci_daemon_spec_id(t->d[i].spec), *p;
	size_t k;

	seen[i] = 1;
	order[(*n)++] = i;
	for (k = 0; k < t->nd; k++)
		if (!seen[k] && (p = bpci_daemon_spec_parent(t->d[k].spec)) && !strcmp(p, id))
			preorder(t, k, order, n, seen);
}

int bpci__dt_reorder(bpci_daemon_tree *t)
{
	size_t *order = bpci__calloc(t->nd + 1, sizeof(*order)), n = 0, k;
	unsigned char *seen = bpci__calloc(t->nd + 1, 1);
	dt_daemon *d = bpci__calloc(t->nd + 1, sizeof(*d));

	bpci__dt_changed(t);
	if (!order || !seen || !d) {
		bpci__free(order);
		bpci__free(seen);
		bpci__free(d);
		return BPCI_ENOMEM;
	}
	preorder(t, 0, order, &n, seen);
	/* Unreachable daemons cannot exist (every change keeps the tree
	 * connected); keep them at the end rather than lose them. */
	for (k = 0; k < t->nd; k++)
		if (!seen[k])
			order[n++] = k;
	for (k = 0; k < t->nd; k++)
		d[k] = t->d[order[k]];
	bpci__free(t->d);
	t->d = d;
	bpci__free(order);
	bpci__free(seen);
	return 0;
}

/* Levels below daemon @i, itself included (1 for a leaf). */
static unsigned int height(const bpci_daemon_tree *t, size_t i, unsigned int guard)
{
	const char *id = bpci_daemon_spec_id(t->d[i].spec), *p;
	unsigned int best = 0, h;
	size_t k;

	if (guard > t->nd)
		return 1;
	for (k = 0; k < t->nd; k++)
		if ((p = bpci_daemon_spec_parent(t->d[k].spec)) && !strcmp(p, id) &&
		    (h = height(t, k, guard + 1)) > best)
			best = h;
	return best + 1;
}

static int check_room(const bpci_daemon_tree *t, size_t parent, const char *who,
		      unsigned int below, bpci_diag *diag)
{
	unsigned int level = bpci__dt_level(t, parent);
	const char *pid = bpci_daemon_spec_id(t->d[parent].spec);

	if (level + below > t->levels)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, "levels",
				      "daemon \"%s\" under \"%s\" (level %u) would reach level %u, "
				      "deeper than the tree's %u levels", who, pid, level,
				      level + below, t->levels);
	if (bpci__dt_nchildren(t, parent) >= t->max_children)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, "max_children",
				      "daemon \"%s\" already has %zu children, the limit is %u; "
				      "cannot add \"%s\"", pid, bpci__dt_nchildren(t, parent),
				      t->max_children, who);
	return 0;
}

/* Commit @copy into @t after bringing it back into parent-first order. */
static int commit(bpci_daemon_tree *t, bpci_daemon_tree *copy)
{
	int rc = bpci__dt_reorder(copy);

	if (rc == 0)
		bpci__dt_swap(t, copy);
	bpci_daemon_tree_free(copy);
	return rc;
}

int bpci_daemon_tree_add(bpci_daemon_tree *t, const bpci_daemon_spec *spec, bpci_diag *diag)
{
	const char *id, *parent;
	dt_daemon *grown, *d;
	long p;
	int rc;

	bpci__dt_changed(t);
	if (!t || !spec)
		return BPCI_EINVAL;
	rc = bpci_daemon_spec_validate(spec, diag);
	if (rc != 0)
		return rc;
	id = bpci_daemon_spec_id(spec);
	parent = bpci_daemon_spec_parent(spec);
	if (bpci__dt_find(t, id) >= 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EEXISTS, "id",
				      "a daemon \"%s\" is already in the tree", id);
	if (!parent)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "parent",
				      "daemon \"%s\" needs a parent; the tree's root is \"%s\"",
				      id, bpci_daemon_tree_root(t));
	p = bpci__dt_find(t, parent);
	if (p < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "parent",
				      "no daemon \"%s\" in the tree to be the parent of \"%s\"",
				      parent, id);
	rc = check_room(t, (size_t)p, id, 1, diag);
	if (rc != 0)
		return rc;
	/* Appended after its parent, the order stays parent first; a refusal
	 * by the capacity rule takes it out again (no copy needed). */
	grown = bpci__realloc(t->d, (t->nd + 1) * sizeof(*grown));
	if (!grown)
		return BPCI_ENOMEM;
	t->d = grown;
	d = &grown[t->nd];
	memset(d, 0, sizeof(*d));
	d->live.rtt = -1.0;
	d->live.last = -1;
	rc = bpci_daemon_spec_dup(&d->spec, spec);
	if (rc != 0)
		return rc;
	t->nd++;
	if (!bpci_daemon_spec_remote(spec) && (rc = bpci__dt_check_capacity(t, (size_t)p, diag))) {
		t->nd--;
		bpci_daemon_spec_free(d->spec);
	}
	return rc;
}

static int is_in_subtree(const bpci_daemon_tree *t, size_t top, size_t i)
{
	long p = (long)i;
	size_t guard = 0;

	while (p >= 0 && guard++ <= t->nd) {
		if ((size_t)p == top)
			return 1;
		p = bpci__dt_parent(t, (size_t)p);
	}
	return 0;
}

int bpci_daemon_tree_move(bpci_daemon_tree *t, const char *daemon_id, const char *new_parent,
			  bpci_diag *diag)
{
	bpci_daemon_tree *c = NULL;
	long i, p, old;
	int rc;

	bpci__dt_changed(t);
	if (!t)
		return BPCI_EINVAL;
	i = bpci__dt_find(t, daemon_id);
	p = bpci__dt_find(t, new_parent);
	if (i < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "daemon_id",
				      "no daemon \"%s\" in the tree", daemon_id ? daemon_id : "");
	if (i == 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "daemon_id",
				      "\"%s\" is the root; the root cannot move", daemon_id);
	if (p < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "parent",
				      "no daemon \"%s\" in the tree to be the new parent of \"%s\"",
				      new_parent ? new_parent : "", daemon_id);
	if (is_in_subtree(t, (size_t)i, (size_t)p))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "parent",
				      "moving \"%s\" under \"%s\" would make a cycle: \"%s\" is %s",
				      daemon_id, new_parent, new_parent,
				      p == i ? "the daemon itself" : "in its own subtree");
	old = bpci__dt_parent(t, (size_t)i);
	if (old == p)
		return 0;
	rc = check_room(t, (size_t)p, daemon_id, height(t, (size_t)i, 0), diag);
	if (rc == 0)
		rc = bpci_daemon_tree_dup(&c, t);
	if (rc == 0)
		rc = bpci_daemon_spec_set(c->d[i].spec, "parent", new_parent, diag);
	if (rc == 0 && !bpci_daemon_spec_remote(c->d[i].spec))
		rc = bpci__dt_check_capacity(c, (size_t)p, diag);
	if (rc != 0) {
		bpci_daemon_tree_free(c);
		return rc;
	}
	return commit(t, c);
}

/* Re-parent daemon @i's children to its parent in @c, recording the steps. */
static int lift_children(bpci_daemon_tree *c, size_t i, size_t parent,
			 bpci_daemon_tree_plan *plan, bpci_diag *diag)
{
	const char *id = bpci_daemon_spec_id(c->d[i].spec);
	const char *pid = bpci_daemon_spec_id(c->d[parent].spec);
	size_t k, now = bpci__dt_nchildren(c, parent) - 1, more = bpci__dt_nchildren(c, i);
	const char *p;
	int rc = 0;

	if (now + more > c->max_children)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, "max_children",
				      "removing \"%s\" would give its parent \"%s\" %zu children "
				      "(its own %zu and %zu of \"%s\"), the limit is %u", id, pid,
				      now + more, now, more, id, c->max_children);
	for (k = 0; rc == 0 && k < c->nd; k++) {
		if (!(p = bpci_daemon_spec_parent(c->d[k].spec)) || strcmp(p, id) != 0)
			continue;
		rc = bpci__dt_plan_add(plan, BPCI_DAEMON_STEP_REPARENT,
				       bpci_daemon_spec_id(c->d[k].spec), id, pid);
		if (rc == 0)
			rc = bpci_daemon_spec_set(c->d[k].spec, "parent", pid, diag);
	}
	return rc;
}

/* Re-place daemon @i's nodes on the other daemons of @c. */
static int move_nodes(bpci_daemon_tree *c, size_t i, bpci_daemon_tree_plan *plan,
		      bpci_diag *diag)
{
	const char *id = bpci_daemon_spec_id(c->d[i].spec);
	bpci_placement_plan *pp = NULL;
	bpci_placement *pl = NULL;
	size_t k;
	int rc;

	rc = bpci__dt_placement(&pl, c, NULL, diag);
	if (rc == 0)
		rc = bpci_placement_failover(&pp, pl, id, diag);
	if (rc == BPCI_ELIMIT)
		bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, "daemon_id",
			       "cannot remove \"%s\": %zu of its nodes fit on no other daemon",
			       id, bpci_placement_plan_refused(pp));
	for (k = 0; rc == 0 && k < bpci_placement_plan_count(pp); k++) {
		const bpci_placement_move *mv = bpci_placement_plan_at(pp, k);
		long n = bpci__dt_find_node(c, mv->node);
		char *to = bpci__strdup(mv->to);

		if (!to) {
			rc = BPCI_ENOMEM;
			break;
		}
		rc = bpci__dt_plan_add(plan, BPCI_DAEMON_STEP_MOVE_NODE, mv->node, id, mv->to);
		bpci__free(c->n[n].daemon);
		c->n[n].daemon = to;
	}
	bpci_placement_plan_free(pp);
	bpci_placement_free(pl);
	return rc;
}

static void drop(bpci_daemon_tree *c, size_t i)
{
	dt_daemon gone = c->d[i];

	memmove(&c->d[i], &c->d[i + 1], (c->nd - i - 1) * sizeof(*c->d));
	c->nd--;
	bpci_daemon_spec_free(gone.spec);
	bpci_capabilities_free(gone.caps);
	bpci__free(gone.live.state);
	bpci__free(gone.live.url);
	bpci__free(gone.live.token);
	bpci__free(gone.live.reason);
	bpci__free(gone.probe.error);
}

int bpci_daemon_tree_remove(bpci_daemon_tree_plan **plan, bpci_daemon_tree *t,
			    const char *daemon_id, bpci_diag *diag)
{
	bpci_daemon_tree_plan *pl;
	bpci_daemon_tree *c = NULL;
	bpci_resources zero;
	long i, p;
	int rc;

	bpci__dt_changed(t);
	if (plan)
		*plan = NULL;
	if (!t)
		return BPCI_EINVAL;
	i = bpci__dt_find(t, daemon_id);
	if (i < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "daemon_id",
				      "no daemon \"%s\" in the tree", daemon_id ? daemon_id : "");
	if (i == 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "daemon_id",
				      "\"%s\" is the root; initialize a new tree instead of "
				      "removing it", daemon_id);
	pl = bpci__calloc(1, sizeof(*pl));
	if (!pl)
		return BPCI_ENOMEM;
	p = bpci__dt_parent(t, (size_t)i);
	rc = bpci_daemon_tree_dup(&c, t);
	if (rc == 0)
		rc = lift_children(c, (size_t)i, (size_t)p, pl, diag);
	if (rc == 0) {
		/* Going away: its share of the parent's capacity is free for
		 * the nodes that leave it. */
		memset(&zero, 0, sizeof(zero));
		bpci_daemon_spec_set_capacity(c->d[i].spec, &zero);
		rc = move_nodes(c, (size_t)i, pl, diag);
	}
	if (rc == 0)
		rc = bpci__dt_plan_add(pl, BPCI_DAEMON_STEP_REMOVE, daemon_id,
				       bpci_daemon_spec_id(c->d[p].spec), NULL);
	if (rc == 0) {
		drop(c, (size_t)i);
		rc = bpci__dt_check_capacity(c, (size_t)bpci__dt_find(c, bpci_daemon_spec_id(
							  t->d[p].spec)), diag);
	}
	if (rc == 0) {
		rc = commit(t, c);
		c = NULL;
	}
	bpci_daemon_tree_free(c);
	if (rc != 0 || !plan)
		bpci_daemon_tree_plan_free(pl);
	else
		*plan = pl;
	return rc;
}
