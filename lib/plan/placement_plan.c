/* Plans: the lines a placement, rebalance or failover produces; applying them. */
#include "placement_internal.h"

#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"

int bpci__pl_plan_new(bpci_placement_plan **out)
{
	*out = bpci__calloc(1, sizeof(**out));
	return *out ? 0 : BPCI_ENOMEM;
}

static char *dup_or_null(const char *s, int *bad)
{
	char *c;

	if (!s)
		return NULL;
	c = bpci__strdup(s);
	if (!c)
		*bad = 1;
	return c;
}

int bpci__pl_plan_add(bpci_placement_plan *plan, const char *node, const char *from,
		      const char *to, const char *reason)
{
	bpci_placement_move m;
	int bad = 0;

	if (bpci__grow((void **)&plan->m, &plan->cap, plan->n + 1, sizeof(*plan->m)) < 0)
		return BPCI_ENOMEM;
	m.node = dup_or_null(node, &bad);
	m.from = dup_or_null(from, &bad);
	m.to = dup_or_null(to, &bad);
	m.reason = dup_or_null(reason, &bad);
	if (bad) {
		bpci__free((char *)m.node);
		bpci__free((char *)m.from);
		bpci__free((char *)m.to);
		bpci__free((char *)m.reason);
		return BPCI_ENOMEM;
	}
	plan->m[plan->n++] = m;
	plan->refused += !to && reason;
	return 0;
}

void bpci_placement_plan_free(bpci_placement_plan *plan)
{
	size_t i;

	if (!plan)
		return;
	for (i = 0; i < plan->n; i++) {
		bpci__free((char *)plan->m[i].node);
		bpci__free((char *)plan->m[i].from);
		bpci__free((char *)plan->m[i].to);
		bpci__free((char *)plan->m[i].reason);
	}
	bpci__free(plan->m);
	bpci__free(plan);
}

size_t bpci_placement_plan_count(const bpci_placement_plan *plan)
{
	return plan ? plan->n : 0;
}

size_t bpci_placement_plan_refused(const bpci_placement_plan *plan)
{
	return plan ? plan->refused : 0;
}

const bpci_placement_move *bpci_placement_plan_at(const bpci_placement_plan *plan,
						  size_t index)
{
	return plan && index < plan->n ? &plan->m[index] : NULL;
}

/* Whether node @i may move to daemon @t now; the class must be ready. */
static int may_host(const bpci_placement *p, uint32_t i, uint32_t t)
{
	const pl_node *n = &p->n[i];
	const pl_class *c = &p->c[n->cls];
	size_t lo = 0, hi = c->nelig, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (c->elig[mid] < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nelig && c->elig[lo] == t && bpci__pl_fits(p, t, n) &&
	       (n->group == NONE || !bpci__pl_group_on(&p->d[t], n->group));
}

int bpci__pl_would_take(bpci_placement *p, const bpci_placement_request *req,
			const char *daemon_id)
{
	uint32_t t = daemon_id ? bpci__strmap_get(&p->dmap, daemon_id) : NONE;
	int node, ok;

	if (t == NONE)
		return 0;
	node = bpci__pl_node_from_request(p, req, "node", NULL);
	if (node < 0)
		return node;
	ok = bpci__pl_class_ready(p, p->n[node].cls) < 0 ? BPCI_ENOMEM
							   : may_host(p, (uint32_t)node, t);
	bpci__pl_drop_last_node(p);
	return ok;
}

/* Check and carry out line @k; *@moved tells whether anything changed. */
static int apply_line(bpci_placement *p, const bpci_placement_move *m, size_t k,
		      uint32_t *node, uint32_t *from, int *moved, bpci_diag *diag)
{
	uint32_t i = bpci__strmap_get(&p->nmap, m->node);
	uint32_t f = m->from ? bpci__strmap_get(&p->dmap, m->from) : NONE;
	uint32_t t = bpci__strmap_get(&p->dmap, m->to);
	char field[40];

	*moved = 0;
	snprintf(field, sizeof(field), "plan[%zu]", k);
	if (i == NONE || t == NONE || (m->from && f == NONE))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, field,
				      "node %s, daemon %s or daemon %s is unknown", m->node,
				      m->from ? m->from : "(none)", m->to);
	if (p->n[i].daemon == t)
		return 0;
	if (!m->from || p->n[i].daemon != f)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
				      "node %s is not on daemon %s any more", m->node,
				      m->from ? m->from : "(none)");
	if (bpci__pl_class_ready(p, p->n[i].cls) < 0)
		return BPCI_ENOMEM;
	if (!may_host(p, i, t))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, field,
				      "daemon %s can no longer host node %s", m->to, m->node);
	bpci__pl_unassign(p, i);
	if (bpci__pl_assign(p, i, t) < 0) {
		bpci__pl_assign(p, i, f);   /* its group slot is still there */
		return BPCI_ENOMEM;
	}
	*node = i;
	*from = f;
	*moved = 1;
	return 0;
}

int bpci_placement_apply(bpci_placement *p, const bpci_placement_plan *plan,
			 bpci_diag *diag)
{
	uint32_t *nodes, *froms;
	size_t k, done = 0;
	int rc = 0, moved;

	nodes = bpci__malloc((plan->n ? plan->n : 1) * sizeof(*nodes));
	froms = bpci__malloc((plan->n ? plan->n : 1) * sizeof(*froms));
	if (!nodes || !froms)
		rc = BPCI_ENOMEM;
	for (k = 0; rc == 0 && k < plan->n; k++) {
		if (!plan->m[k].to)
			continue;
		rc = apply_line(p, &plan->m[k], k, &nodes[done], &froms[done], &moved, diag);
		done += (size_t)moved;
	}
	if (rc < 0)   /* all or nothing: walk back; group slots are kept */
		while (done-- > 0) {
			bpci__pl_unassign(p, nodes[done]);
			bpci__pl_assign(p, nodes[done], froms[done]);
		}
	bpci__free(nodes);
	bpci__free(froms);
	return rc;
}
