/*
 * Rebalance plans. The search runs on the handle itself (moves are made
 * for real so that every constraint check sees the moves before it) and
 * is then walked back: the handle ends as it began.
 */
#include "placement_internal.h"

#include <string.h>

#include "common/alloc.h"

typedef struct idxvec {
	uint32_t *v;
	size_t n, cap;
} idxvec;

typedef struct rb_state {
	idxvec *on;        /* per daemon: the nodes it hosts (hosts only) */
	uint32_t *orig;    /* per node: its daemon before the first move, or NONE */
	idxvec order;      /* moved nodes, in the order of their first move */
	idxvec log;        /* every move: node, from (pairs) */
	size_t keep;       /* moves of the log that lowered the cluster's peak */
	idxvec mine, theirs; /* scratch: one node per shape (see shapes()) */
} rb_state;

typedef struct rb_best {
	uint32_t node, to;
	uint32_t back;     /* for a swap: the node of @to that moves to the source */
	double peak, lt;   /* the higher load of the pair after, and the target's */
} rb_best;

static int push(idxvec *x, uint32_t v)
{
	if (bpci__grow((void **)&x->v, &x->cap, x->n + 1, sizeof(*x->v)) < 0)
		return BPCI_ENOMEM;
	x->v[x->n++] = v;
	return 0;
}

static int is_host(const bpci_placement *p, size_t d)
{
	return p->d[d].healthy && p->d[d].lifecycle;
}

/* The most loaded host (the first of equals), or NONE. */
static uint32_t most_loaded(const bpci_placement *p)
{
	uint32_t h = NONE;
	size_t d;

	for (d = 0; d < p->nd; d++)
		if (is_host(p, d) && p->d[d].hosted && (h == NONE || p->util[d] > p->util[h]))
			h = (uint32_t)d;
	return h;
}

static int same_shape(const pl_node *a, const pl_node *b)
{
	return a->cls == b->cls && a->group == b->group &&
	       memcmp(a->need, b->need, sizeof(a->need)) == 0;
}

/* Best target for node @i off @h: lowest max(load of h after, load of t after). */
static void consider(bpci_placement *p, uint32_t h, uint32_t i, rb_best *best)
{
	const pl_node *n = &p->n[i];
	const pl_class *c = &p->c[n->cls];
	double lh = bpci__pl_util_delta(p, h, n, -1), lt, peak;
	size_t k;
	uint32_t t;

	if (lh > best->peak)
		return;   /* no target can do better */
	for (k = 0; k < c->nelig; k++) {
		t = c->elig[k];
		if (t == h || !bpci__pl_fits(p, t, n) ||
		    (n->group != NONE && bpci__pl_group_on(&p->d[t], n->group)))
			continue;
		lt = bpci__pl_util_delta(p, t, n, +1);
		peak = lt > lh ? lt : lh;
		/* Equal peaks: the emptier target leaves room for the next move. */
		if (peak < best->peak ||
		    (peak == best->peak && best->node != NONE &&
		     (lt < best->lt || (lt == best->lt &&
		      (i < best->node || (i == best->node && t < best->to)))))) {
			best->peak = peak;
			best->lt = lt;
			best->node = i;
			best->to = t;
		}
	}
}

/* Past this many distinct shapes on one daemon, nodes are no longer
 * grouped (the grouping would cost more than it saves). */
#define SHAPES_MAX 64

/*
 * Into @out, one node per shape (need, class, group) among the nodes of
 * @x: the one added first, which wins every tie its twins would reach.
 * Identical nodes give identical moves, so each shape is evaluated once.
 */
static int shapes(const bpci_placement *p, const idxvec *x, idxvec *out)
{
	size_t k, j, grouped = 0;
	uint32_t i;

	out->n = 0;
	for (k = 0; k < x->n; k++) {
		i = x->v[k];
		for (j = 0; j < grouped && !same_shape(&p->n[i], &p->n[out->v[j]]); j++)
			;
		if (j < grouped) {
			if (i < out->v[j])
				out->v[j] = i;
			continue;
		}
		if (push(out, i) < 0)
			return BPCI_ENOMEM;
		if (grouped < SHAPES_MAX && grouped + 1 == out->n)
			grouped++;
	}
	return 0;
}

/* Find the best move off the most loaded daemon; 0 when there is none. */
static int best_move(bpci_placement *p, rb_state *st, uint32_t h, rb_best *best)
{
	size_t k;
	uint32_t i;

	best->node = best->to = best->back = NONE;
	best->lt = 0;
	best->peak = p->util[h];   /* a move must lower the peak strictly */
	if (shapes(p, &st->on[h], &st->mine) < 0)
		return BPCI_ENOMEM;
	for (k = 0; k < st->mine.n; k++) {
		i = st->mine.v[k];
		if (bpci__pl_class_ready(p, p->n[i].cls) < 0)
			return BPCI_ENOMEM;
		consider(p, h, i, best);
	}
	return best->node != NONE;
}

static int move_one(bpci_placement *p, rb_state *st, uint32_t node, uint32_t from,
		    uint32_t to)
{
	idxvec *x = &st->on[from];
	size_t k;

	if (push(&st->on[to], node) < 0 || push(&st->log, node) < 0 || push(&st->log, from) < 0)
		return BPCI_ENOMEM;
	if (st->orig[node] == NONE) {
		if (push(&st->order, node) < 0)
			return BPCI_ENOMEM;
		st->orig[node] = from;
	}
	for (k = 0; x->v[k] != node; k++)
		;
	x->v[k] = x->v[--x->n];
	bpci__pl_unassign(p, node);
	return bpci__pl_assign(p, node, to);
}

static int move(bpci_placement *p, rb_state *st, uint32_t h, const rb_best *b)
{
	int rc = move_one(p, st, b->node, h, b->to);

	if (rc == 0 && b->back != NONE)
		rc = move_one(p, st, b->back, b->to, h);
	return rc;
}

/* Whether daemon @d is in the eligible list of node @i's (ready) class. */
static int eligible(const bpci_placement *p, uint32_t i, uint32_t d)
{
	const pl_class *c = &p->c[p->n[i].cls];
	size_t lo = 0, hi = c->nelig, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c->elig[mid] < d)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nelig && c->elig[lo] == d;
}

/* The load of daemon @d with node @out replaced by node @in, or -1 when
 * that breaks the ceiling. */
static double swapped_load(const bpci_placement *p, uint32_t d, const pl_node *out,
			   const pl_node *in)
{
	const pl_daemon *dm = &p->d[d];
	double u = 0, x;
	uint64_t v;
	int r;

	for (r = 0; r < NRES; r++) {
		v = dm->reserved[r] - out->need[r] + in->need[r];
		if (in->need[r] > out->need[r] && v > dm->limit[r])
			return -1;
		x = (double)v * dm->inv_cap[r];
		if (x > u)
			u = x;
	}
	return u;
}

/* Consider swapping node @i of @h with node @j of @t. */
static void consider_swap(bpci_placement *p, uint32_t h, uint32_t i, uint32_t t, uint32_t j,
			  rb_best *best)
{
	const pl_node *n = &p->n[i], *m = &p->n[j];
	double lh, lt, peak;

	if (m->group != NONE || same_shape(n, m) || !eligible(p, j, h))
		return;
	if ((lh = swapped_load(p, h, n, m)) < 0 || lh > best->peak ||
	    (lt = swapped_load(p, t, m, n)) < 0)
		return;
	peak = lt > lh ? lt : lh;
	if (peak < best->peak ||
	    (peak == best->peak && best->node != NONE &&
	     (lt < best->lt || (lt == best->lt && (i < best->node || (i == best->node &&
	      (t < best->to || (t == best->to && j < best->back)))))))) {
		best->peak = peak;
		best->lt = lt;
		best->node = i;
		best->to = t;
		best->back = j;
	}
}

/*
 * When no single move helps: the best exchange of a node of @h with a
 * node of another daemon (two moves). Nodes of anti-affinity groups are
 * left out of exchanges. O(nodes on h x nodes) per call, made only when
 * the greedy moves are stuck.
 */
static int best_swap(bpci_placement *p, rb_state *st, uint32_t h, rb_best *best)
{
	size_t k, q;
	uint32_t i, t;

	best->node = best->to = best->back = NONE;
	best->lt = 0;
	best->peak = p->util[h];
	if (shapes(p, &st->on[h], &st->mine) < 0)   /* classes made ready by best_move() */
		return BPCI_ENOMEM;
	for (t = 0; t < p->nd; t++) {
		if (t == h || !is_host(p, t) || !st->on[t].n)
			continue;
		if (shapes(p, &st->on[t], &st->theirs) < 0)
			return BPCI_ENOMEM;
		for (q = 0; q < st->theirs.n; q++)
			if (bpci__pl_class_ready(p, p->n[st->theirs.v[q]].cls) < 0)
				return BPCI_ENOMEM;
		for (k = 0; k < st->mine.n; k++) {
			i = st->mine.v[k];
			if (p->n[i].group != NONE || !eligible(p, i, t))
				continue;
			for (q = 0; q < st->theirs.n; q++)
				consider_swap(p, h, i, t, st->theirs.v[q], best);
		}
	}
	return best->node != NONE;
}

/* The highest load of a host with nodes. */
static double peak_of(const bpci_placement *p)
{
	uint32_t h = most_loaded(p);

	return h == NONE ? 0 : p->util[h];
}

/*
 * Greedy moves off the most loaded daemon. With several daemons at the
 * top, a move may lower one of them without lowering the cluster's peak;
 * if the others cannot follow, such moves are wasted, so the moves after
 * the last one that lowered the peak are taken back at the end.
 */
static int search(bpci_placement *p, rb_state *st)
{
	size_t i, steps;
	uint32_t h;
	double peak = peak_of(p), now;
	rb_best b;
	int rc;

	for (i = 0; i < p->nn; i++)
		if (p->n[i].id && p->n[i].daemon != NONE && is_host(p, p->n[i].daemon) &&
		    push(&st->on[p->n[i].daemon], (uint32_t)i) < 0)
			return BPCI_ENOMEM;
	/* Each move lowers the sorted vector of loads, so this ends; the bound
	 * only guards against floating-point surprises. */
	for (steps = 0; steps < 4 * p->live + 16; steps++) {
		if ((h = most_loaded(p)) == NONE)
			break;
		rc = best_move(p, st, h, &b);
		if (rc == 0)
			rc = best_swap(p, st, h, &b);
		if (rc <= 0)
			return rc;
		if ((rc = move(p, st, h, &b)) < 0)
			return rc;
		if ((now = peak_of(p)) < peak) {
			peak = now;
			st->keep = st->log.n / 2;
		}
	}
	return 0;
}

/* Take back the moves of the log after the first @keep, newest first. */
static void trim(bpci_placement *p, rb_state *st)
{
	uint32_t i;

	while (st->log.n / 2 > st->keep) {
		st->log.n -= 2;
		i = st->log.v[st->log.n];
		bpci__pl_unassign(p, i);
		bpci__pl_assign(p, i, st->log.v[st->log.n + 1]);
	}
}

/*
 * Fewer moves for the same peak: a moved node whose first daemon can take
 * it back without exceeding the final peak goes back (newest first).
 */
static void revert(bpci_placement *p, rb_state *st)
{
	double peak = peak_of(p);
	size_t k;
	uint32_t i, o;

	for (k = st->order.n; k-- > 0;) {
		i = st->order.v[k];
		o = st->orig[i];
		if (p->n[i].daemon == o || !eligible(p, i, o) || !bpci__pl_fits(p, o, &p->n[i]) ||
		    (p->n[i].group != NONE && bpci__pl_group_on(&p->d[o], p->n[i].group)) ||
		    bpci__pl_util_delta(p, o, &p->n[i], +1) > peak)
			continue;
		bpci__pl_unassign(p, i);
		bpci__pl_assign(p, i, o);   /* its group slot on @o is still there */
	}
}

int bpci_placement_rebalance(bpci_placement_plan **out, bpci_placement *p, bpci_diag *diag)
{
	bpci_placement_plan *plan = NULL;
	rb_state st;
	size_t k;
	uint32_t i;
	int rc;

	(void)diag;
	*out = NULL;
	memset(&st, 0, sizeof(st));
	st.on = bpci__calloc(p->nd ? p->nd : 1, sizeof(*st.on));
	st.orig = bpci__malloc((p->nn ? p->nn : 1) * sizeof(*st.orig));
	rc = st.on && st.orig ? bpci__pl_plan_new(&plan) : BPCI_ENOMEM;
	if (rc == 0) {
		memset(st.orig, 0xff, (p->nn ? p->nn : 1) * sizeof(*st.orig));
		rc = search(p, &st);
		trim(p, &st);
		if (rc == 0)
			revert(p, &st);
	}
	for (k = 0; rc == 0 && k < st.order.n; k++) {
		i = st.order.v[k];
		if (p->n[i].daemon != st.orig[i])
			rc = bpci__pl_plan_add(plan, p->n[i].id,
					       bpci_daemon_spec_id(p->d[st.orig[i]].spec),
					       bpci_daemon_spec_id(p->d[p->n[i].daemon].spec),
					       NULL);
	}
	/* Walk back. Group slots never shrink, so these assignments cannot fail. */
	for (k = 0; k < st.order.n; k++) {
		i = st.order.v[k];
		bpci__pl_unassign(p, i);
		bpci__pl_assign(p, i, st.orig[i]);
	}
	for (k = 0; st.on && k < p->nd; k++)
		bpci__free(st.on[k].v);
	bpci__free(st.on);
	bpci__free(st.orig);
	bpci__free(st.order.v);
	bpci__free(st.log.v);
	bpci__free(st.mine.v);
	bpci__free(st.theirs.v);
	if (rc < 0) {
		bpci_placement_plan_free(plan);
		return rc;
	}
	*out = plan;
	return 0;
}
