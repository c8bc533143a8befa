/*
 * Nodes of the daemon tree: placement on the tree's daemons (through the
 * placement engine, so the tree obeys exactly its rules), rebalance plans
 * and carrying them out.
 */
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "plan/daemon_tree_internal.h"
#include "plan/placement_internal.h"

int bpci__dt_plan_add_by(bpci_daemon_tree_plan *plan, bpci_daemon_step_kind kind,
			 const char *subject, const char *from, const char *to, const char *by)
{
	bpci_daemon_step *s;

	/* Thousands of moves: one realloc per step would copy the array each time. */
	if (bpci__grow((void **)&plan->s, &plan->cap, plan->ns + 1, sizeof(*plan->s)) < 0)
		return BPCI_ENOMEM;
	s = &plan->s[plan->ns];
	s->kind = kind;
	s->subject = bpci__strdup(subject);
	s->from = from ? bpci__strdup(from) : NULL;
	s->to = to ? bpci__strdup(to) : NULL;
	s->by = by ? bpci__strdup(by) : NULL;
	plan->ns++;
	return (!s->subject || (from && !s->from) || (to && !s->to) || (by && !s->by))
		       ? BPCI_ENOMEM : 0;
}

int bpci__dt_plan_add(bpci_daemon_tree_plan *plan, bpci_daemon_step_kind kind,
		      const char *subject, const char *from, const char *to)
{
	return bpci__dt_plan_add_by(plan, kind, subject, from, to, NULL);
}

void bpci_daemon_tree_plan_free(bpci_daemon_tree_plan *plan)
{
	size_t i;

	if (!plan)
		return;
	for (i = 0; i < plan->ns; i++) {
		bpci__free((char *)plan->s[i].subject);
		bpci__free((char *)plan->s[i].from);
		bpci__free((char *)plan->s[i].to);
		bpci__free((char *)plan->s[i].by);
	}
	bpci__free(plan->s);
	bpci__free(plan);
}

size_t bpci_daemon_tree_plan_count(const bpci_daemon_tree_plan *plan)
{
	return plan ? plan->ns : 0;
}

const bpci_daemon_step *bpci_daemon_tree_plan_at(const bpci_daemon_tree_plan *plan,
						 size_t index)
{
	return plan && index < plan->ns ? &plan->s[index] : NULL;
}

void bpci__dt_node_request(bpci_placement_request *req, const dt_node *n)
{
	bpci_placement_request init = BPCI_PLACEMENT_REQUEST_INIT;

	*req = init;
	req->id = n->id;
	req->need = n->need;
	req->labels = n->labels;
	req->capabilities = n->caps;
	req->anti_affinity = n->anti;
}

/* May daemon @i host under view @v? */
static int view_hosts(const bpci_daemon_tree *t, size_t i, const dt_view *v)
{
	return !bpci__dt_state_down(bpci__dt_state(t, i)) && (long)i != v->skip &&
	       (!v->only || !strcmp(v->only, bpci_daemon_spec_id(t->d[i].spec)));
}

static int view_has(const bpci_daemon_tree *t, const dt_index *x, size_t i, const dt_view *v)
{
	return v->within <= 0 || bpci__dt_index_in_subtree(x, t->nd, i, (size_t)v->within);
}

/* Is node @k a movable node of the view (else a fixed reservation)? */
static int view_node(const bpci_daemon_tree *t, const dt_index *x, size_t k, const dt_view *v)
{
	return v->domain < 0 || bpci__dt_index_node_domain(x, t, k) == (size_t)v->domain;
}

/* Into @fixed (one per daemon): the needs of the nodes that are not the
 * view's to move. */
static void fixed_needs(const bpci_daemon_tree *t, const dt_index *x, const dt_view *v,
			bpci_resources *fixed)
{
	size_t k;
	long d;

	for (k = 0; v->domain >= 0 && k < t->nn; k++)
		if (!view_node(t, x, k, v) && (d = x->node_daemon[k]) >= 0)
			bpci__dt_res_add(&fixed[d], &t->n[k].need);
}

static int add_daemons(bpci_placement *pl, const bpci_daemon_tree *t, const dt_index *x,
		       const dt_view *v, bpci_diag *diag)
{
	bpci_resources *fixed = bpci__calloc(t->nd + 1, sizeof(*fixed));
	size_t i;
	int rc = fixed ? 0 : BPCI_ENOMEM;

	if (fixed)
		fixed_needs(t, x, v, fixed);
	for (i = 0; rc == 0 && i < t->nd; i++) {
		bpci_placement_daemon_state st = BPCI_PLACEMENT_DAEMON_STATE_INIT;
		const dt_live *l = &t->d[i].live;

		if (!view_has(t, x, i, v))
			continue;
		st.healthy = view_hosts(t, i, v);
		st.load = l->set && l->cpu > 0 ? (l->cpu >= 100.0 ? 1.0 : l->cpu / 100.0) : 0.0;
		st.capabilities = t->d[i].caps;
		/* Local children run on this host: their capacity is not free here. */
		st.reserved = x->children[i];
		/* Nodes of other domains stay where they are: only their share counts. */
		bpci__dt_res_add(&st.reserved, &fixed[i]);
		rc = bpci_placement_add_daemon(pl, t->d[i].spec, &st, diag);
	}
	bpci__free(fixed);
	return rc;
}

static int fill_view(bpci_placement *pl, const bpci_daemon_tree *t, const dt_index *x,
		     const dt_view *v, bpci_diag *diag)
{
	size_t i;
	long d;
	int rc = add_daemons(pl, t, x, v, diag);

	for (i = 0; rc == 0 && i < t->nn; i++) {
		bpci_placement_request req;

		d = x->node_daemon[i];
		if (v->within > 0 && (d < 0 || !view_has(t, x, (size_t)d, v)))
			continue;
		if (!view_node(t, x, i, v))
			continue;
		bpci__dt_node_request(&req, &t->n[i]);
		rc = bpci_placement_add_node(pl, &req, t->n[i].daemon, diag);
	}
	return rc;
}

int bpci__dt_placement_view(bpci_placement **out, const bpci_daemon_tree *t, const dt_view *v,
			    bpci_diag *diag)
{
	bpci_placement_options po = BPCI_PLACEMENT_OPTIONS_INIT;
	bpci_placement *pl = NULL;
	dt_index x;
	int rc;

	*out = NULL;
	po.strategy = t->strategy;
	po.max_utilization_percent = t->pct;
	if ((rc = bpci__dt_index_build(&x, t)) != 0)
		return rc;
	rc = bpci_placement_new(&pl, &po, diag);
	if (rc == 0)
		rc = fill_view(pl, t, &x, v, diag);
	bpci__dt_index_free(&x);
	if (rc != 0) {
		bpci_placement_free(pl);
		return rc;
	}
	*out = pl;
	return 0;
}

int bpci__dt_placement(bpci_placement **out, const bpci_daemon_tree *t, const char *only,
		       bpci_diag *diag)
{
	dt_view v = DT_VIEW_ALL;

	v.only = only;
	return bpci__dt_placement_view(out, t, &v, diag);
}

int bpci__dt_node_push(bpci_daemon_tree *t, const bpci_placement_request *req,
		       const char *daemon)
{
	dt_node *n;
	int failed = 0;

	/* 100,000 nodes placed one by one: no copy of the array per node. */
	if (bpci__grow((void **)&t->n, &t->ncap, t->nn + 1, sizeof(*t->n)) < 0)
		return BPCI_ENOMEM;
	n = &t->n[t->nn];
	memset(n, 0, sizeof(*n));
	n->need = req->need;
	n->id = bpci__strdup(req->id);
	n->daemon = bpci__strdup(daemon);
	n->labels = bpci__strdup(req->labels ? req->labels : "");
	if (req->anti_affinity && *req->anti_affinity)
		failed |= !(n->anti = bpci__strdup(req->anti_affinity));
	if (req->capabilities)
		failed |= bpci_capabilities_dup(&n->caps, req->capabilities) != 0;
	failed |= !n->id || !n->daemon || !n->labels;
	if (failed) {
		bpci__free(n->id);
		bpci__free(n->daemon);
		bpci__free(n->labels);
		bpci__free(n->anti);
		bpci_capabilities_free(n->caps);
		return BPCI_ENOMEM;
	}
	t->nn++;
	if (t->nmap_ok && bpci__strmap_put(&t->nmap, n->id, (uint32_t)(t->nn - 1)) < 0)
		bpci__dt_nodes_moved(t);  /* lookups scan again */
	return 0;
}

int bpci__dt_place_answer(const char **where, const bpci_daemon_tree *t,
			  const bpci_placement_request *req, int rc,
			  const bpci_placement_plan *plan,
			  long (*find)(const bpci_daemon_tree *, const char *), bpci_diag *diag)
{
	const bpci_placement_move *mv;
	long d;

	if (rc == 0 || rc == BPCI_ELIMIT) {
		mv = bpci_placement_plan_at(plan, 0);
		d = mv && mv->to ? find(t, mv->to) : -1;
		if (d >= 0) {
			*where = bpci_daemon_spec_id(t->d[d].spec);
			return 0;
		}
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, "resources",
				      "node \"%s\" fits on no daemon within %u%% of its "
				      "capacity: %s", req->id, t->pct,
				      mv && mv->reason ? mv->reason : "refused");
	}
	if (rc != BPCI_ENOMEM)
		rc = bpci__diag_add(diag, BPCI_SEVERITY_ERROR, rc, "node",
				    "cannot place node \"%s\": %s", req->id ? req->id : "",
				    bpci_strerror(rc));
	return rc;
}

int bpci__dt_place_one(const char **where, const bpci_daemon_tree *t,
		       const bpci_placement_request *req, const dt_view *v, bpci_diag *diag)
{
	bpci_placement_plan *plan = NULL;
	bpci_placement *pl = NULL;
	int rc = bpci__dt_placement_view(&pl, t, v, diag);

	if (rc == 0)
		rc = bpci_placement_place(&plan, pl, req, 1, 0, NULL);
	rc = bpci__dt_place_answer(where, t, req, rc, plan, bpci__dt_find, diag);
	bpci_placement_plan_free(plan);
	bpci_placement_free(pl);
	return rc;
}

int bpci_daemon_tree_place_node(const char **daemon, bpci_daemon_tree *t,
				const bpci_placement_request *req, bpci_diag *diag)
{
	return bpci_daemon_tree_place_node_under(daemon, t, req, NULL, diag);
}

int bpci_daemon_tree_add_node(bpci_daemon_tree *t, const bpci_placement_request *req,
			      const char *daemon_id, bpci_diag *diag)
{
	long d = t ? bpci__dt_find(t, daemon_id) : -1;

	bpci__dt_changed(t);
	if (!t || !req || !req->id || !*req->id)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "id",
				      "a node needs an id");
	if (d < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "daemon",
				      "no daemon \"%s\" in the tree to host node \"%s\"",
				      daemon_id ? daemon_id : "", req->id);
	/* Loading a state of 100,000 nodes: no scan of the nodes per node. */
	(void)bpci__dt_index_nodes(t);  /* without it (no memory), lookups scan */
	if (bpci__dt_find_node(t, req->id) >= 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EEXISTS, "id",
				      "node \"%s\" is already recorded", req->id);
	return bpci__dt_node_push(t, req, bpci_daemon_spec_id(t->d[d].spec));
}

int bpci_daemon_tree_remove_node(bpci_daemon_tree *t, const char *node_id)
{
	long i = t ? bpci__dt_find_node(t, node_id) : -1;
	dt_node *n;

	bpci__dt_changed(t);
	if (i < 0)
		return BPCI_ENOTFOUND;
	n = &t->n[i];
	if (t->nmap_ok)
		bpci__strmap_del(&t->nmap, n->id);  /* the map borrows the id */
	bpci__free(n->id);
	bpci__free(n->daemon);
	bpci__free(n->labels);
	bpci__free(n->anti);
	bpci__free(n->domain);
	bpci_capabilities_free(n->caps);
	memmove(n, n + 1, (t->nn - (size_t)i - 1) * sizeof(*n));
	t->nn--;
	bpci__dt_nodes_renumbered(t, (size_t)i);
	return 0;
}

const char *bpci_daemon_tree_node_daemon(const bpci_daemon_tree *t, const char *node_id)
{
	long i = t ? bpci__dt_find_node(t, node_id) : -1;

	return i >= 0 ? t->n[i].daemon : NULL;
}

/* Would @to alone take node @n of @c? Asked of @w, the whole tree's view
 * kept in step with @c, with the node taken out: 1 (the node is then in
 * @w on @to), else 0 (@w must not be used any more: the caller asks a
 * view of @to alone, whose refusal names the reasons). */
static int fast_move(bpci_placement *w, const bpci_placement_request *req, const char *to)
{
	if (!w || bpci_placement_remove_node(w, req->id) != 0)
		return 0;
	if (bpci__pl_would_take(w, req, to) != 1)
		return 0;
	return bpci_placement_add_node(w, req, to, NULL) == 0;
}

/* Would @to alone take node @n of @c? A view of @c without the node,
 * where only @to may host, answers: 0, or BPCI_ELIMIT (the reasons in
 * @diag), BPCI_EINVAL or BPCI_ENOMEM as bpci__dt_place_one(). */
static int move_alone(bpci_daemon_tree *c, long n, const char *to, bpci_diag *diag)
{
	bpci_placement_request req;
	const char *where = NULL;
	dt_view v = DT_VIEW_ALL;
	dt_node saved;
	int rc;

	/* Take the node out, then ask the engine whether @to alone takes it. */
	saved = c->n[n];
	c->n[n] = c->n[--c->nn];
	bpci__dt_node_request(&req, &saved);
	v.only = to;
	rc = bpci__dt_place_one(&where, c, &req, &v, diag);
	c->n[c->nn++] = c->n[n];
	c->n[n] = saved;
	return rc;
}

/* One move on @c: the node is on @from, and @to alone would take it.
 * *@w: NULL, or the whole tree's view of @c, kept in step (dropped
 * when it cannot answer). */
static int apply_move(bpci_daemon_tree *c, bpci_placement **w, const bpci_daemon_step *s,
		      bpci_diag *diag)
{
	bpci_placement_request req;
	long n = bpci__dt_find_node(c, s->subject), to_i;
	size_t dom;
	char *to;
	int rc;

	if (n < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "node",
				      "no node \"%s\" in the tree", s->subject);
	if (!s->from || strcmp(c->n[n].daemon, s->from) != 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "from",
				      "node \"%s\" is on daemon \"%s\", not \"%s\"", s->subject,
				      c->n[n].daemon, s->from ? s->from : "");
	if ((to_i = bpci__dt_find(c, s->to)) < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "to",
				      "no daemon \"%s\" in the tree", s->to ? s->to : "");
	/* A node never leaves the load_balancing domain it was placed in. */
	dom = bpci__dt_node_domain(c, &c->n[n]);
	if (!bpci__dt_in_subtree(c, (size_t)to_i, dom))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, "to",
				      "node \"%s\" belongs to the load_balancing domain of daemon "
				      "\"%s\": daemon \"%s\" is outside it", s->subject,
				      bpci_daemon_spec_id(c->d[dom].spec), s->to);
	bpci__dt_node_request(&req, &c->n[n]);
	if (!fast_move(*w, &req, s->to)) {
		/* One view per move from here on: also the words of a refusal. */
		bpci_placement_free(*w);
		*w = NULL;
		if ((rc = move_alone(c, n, s->to, diag)) != 0)
			return rc;
	}
	if (!(to = bpci__strdup(s->to)))
		return BPCI_ENOMEM;
	bpci__free(c->n[n].daemon);
	c->n[n].daemon = to;
	return 0;
}

int bpci_daemon_tree_apply(bpci_daemon_tree *t, const bpci_daemon_tree_plan *plan,
			   bpci_diag *diag)
{
	bpci_daemon_tree *c = NULL;
	bpci_placement *w = NULL;
	dt_view all = DT_VIEW_ALL;
	size_t k;
	int rc;

	bpci__dt_changed(t);
	if (!t || !plan)
		return BPCI_EINVAL;
	for (k = 0; k < plan->ns; k++)
		if (plan->s[k].kind != BPCI_DAEMON_STEP_MOVE_NODE)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "steps",
					      "step %zu is not a node move; only node moves can "
					      "be applied", k + 1);
	rc = bpci_daemon_tree_dup(&c, t);
	/* One view for the whole plan, not one per move (thousands of moves
	 * over 10,000 nodes); without it, each move builds its own. */
	if (rc == 0 && bpci__dt_index_nodes(c) == 0 &&
	    bpci__dt_placement_view(&w, c, &all, NULL) != 0)
		w = NULL;
	for (k = 0; rc == 0 && k < plan->ns; k++)
		rc = apply_move(c, &w, &plan->s[k], diag);
	if (rc == 0)
		bpci__dt_swap(t, c);
	bpci_placement_free(w);
	bpci_daemon_tree_free(c);
	return rc;
}
