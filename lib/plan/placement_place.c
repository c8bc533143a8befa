/*
 * Choosing a daemon for a node, explaining a refusal, and the batch and
 * failover operations built on them.
 */
#include "placement_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"
#include "model/resources_key.h"

/* Index of the first element of the ascending @a that is >= @v. */
static size_t lower_bound(const uint32_t *a, size_t n, size_t v)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (a[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static uint32_t choose_rr(bpci_placement *p, const pl_node *n, const pl_class *c,
			  uint32_t exclude)
{
	size_t start = lower_bound(c->elig, c->nelig, p->rr), k;
	uint32_t d;

	for (k = 0; k < c->nelig; k++) {
		d = c->elig[(start + k) % c->nelig];
		if (d == exclude || !bpci__pl_fits(p, d, n) ||
		    (n->group != NONE && bpci__pl_group_on(&p->d[d], n->group)))
			continue;
		p->rr = d + 1;
		return d;
	}
	return NONE;
}

/*
 * The daemon the strategy picks for @node, never @exclude; NONE when no
 * daemon satisfies the constraints. The node's class must be ready. This
 * is the hot loop of placement: the key comparison comes first because it
 * rejects most daemons with one load.
 */
uint32_t bpci__pl_choose(bpci_placement *p, uint32_t node, uint32_t exclude)
{
	const pl_node *n = &p->n[node];
	const pl_class *c = &p->c[n->cls];
	const uint32_t *e = c->elig;
	const double *key = p->key;
	const uint64_t *m;
	uint32_t d, best = NONE;
	size_t i = 0, end;
	double bk = 0;

	if (p->strategy == BPCI_LB_ROUND_ROBIN)
		return choose_rr(p, n, c, exclude);
	while (i < c->nelig) {
		/* The eligible daemons of one block: skipped whole when even the
		 * block's largest free amounts cannot take the node. */
		end = lower_bound(e, c->nelig, (e[i] / BLOCK + 1) * (size_t)BLOCK);
		m = p->bmax + (size_t)(e[i] / BLOCK) * NRES;
		if (n->need[0] > m[0] || n->need[1] > m[1] || n->need[2] > m[2] ||
		    n->need[3] > m[3] || n->need[4] > m[4]) {
			i = end;
			continue;
		}
		for (; i < end; i++) {
			d = e[i];
			if (best != NONE && key[d] >= bk)
				continue;
			if (!bpci__pl_fits(p, d, n) || d == exclude ||
			    (n->group != NONE && bpci__pl_group_on(&p->d[d], n->group)))
				continue;
			best = d;
			bk = key[d];
		}
	}
	return best;
}

/* A growing string; a failed allocation sets @bad and drops the rest. */
typedef struct sbuf {
	char *s;
	size_t len, cap;
	int bad;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->bad)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || bpci__grow((void **)&b->s, &b->cap, b->len + (size_t)n + 1, 1) < 0) {
		b->bad = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

static void amount(char *buf, size_t size, unsigned int r, uint64_t v)
{
	static const char *const units[] = {"Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
	bpci_resources res = {0, 0, 0, 0, 0};
	uint64_t *f[NRES] = {&res.cpu_millicores, &res.memory_bytes, &res.storage_bytes,
			     &res.network_mbps, &res.gpu_units};
	int u = -1;
	double x = (double)v;

	*f[r] = v;
	bpci__resources_format_field(buf, size, &res, r);
	if ((r != 1 && r != 2) || v < 1024 || strspn(buf, "0123456789") <= 4)
		return;
	/* Exact but long ("13743895347B", "264212084Ki"): two decimals in the
	 * largest unit read better. */
	while (x >= 1024 && u < 5) {
		x /= 1024;
		u++;
	}
	snprintf(buf, size, "%.2f%s", x, units[u]);
}

/* "memory 3Gi free of 16Gi at the 80% ceiling, needs 16Gi" */
static void explain_amount(char *buf, size_t size, const bpci_placement *p, uint32_t d,
			   unsigned int r, uint64_t need)
{
	const pl_daemon *dm = &p->d[d];
	uint64_t free_ = p->avail[(size_t)d * NRES + r];
	char n[40], f[40], c[40];

	if (dm->cap[r] == 0) {
		amount(n, sizeof(n), r, need);
		snprintf(buf, size, "no %s, needs %s", bpci__resources_key(r), n);
		return;
	}
	amount(n, sizeof(n), r, need);
	amount(f, sizeof(f), r, free_);
	amount(c, sizeof(c), r, dm->cap[r]);
	if (strcmp(n, f) == 0) {   /* rounded alike: show the exact bytes */
		snprintf(n, sizeof(n), "%lluB", (unsigned long long)need);
		snprintf(f, sizeof(f), "%lluB", (unsigned long long)free_);
	}
	snprintf(buf, size, "%s %s free of %s at the %u%% ceiling, needs %s",
		 bpci__resources_key(r), f, c, p->pct, n);
}

/* Append why daemon @d cannot host @n (every reason); 0 when it could. */
static int explain(sbuf *b, const bpci_placement *p, uint32_t d, const pl_node *n)
{
	const pl_daemon *dm = &p->d[d];
	const pl_class *c = &p->c[n->cls];
	const char *v;
	char text[160];
	size_t before = b->len, i;
	unsigned int r;

#define SEP (b->len > before ? ", " : "")
	if (!dm->healthy)
		sb_printf(b, "%sunhealthy", SEP);
	if (!dm->lifecycle)
		sb_printf(b, "%slacks the node_lifecycle responsibility", SEP);
	for (i = 0; i < c->nl; i++) {
		v = bpci_daemon_spec_label(dm->spec, c->lkeys[i]);
		if (!v)
			sb_printf(b, "%slabel %s=%s required, has no %s label", SEP,
				  c->lkeys[i], c->lvals[i], c->lkeys[i]);
		else if (strcmp(v, c->lvals[i]) != 0)
			sb_printf(b, "%slabel %s=%s required, has %s", SEP, c->lkeys[i],
				  c->lvals[i], v);
	}
	for (i = 0; i < c->ncaps; i++)
		if (!dm->caps || !bpci_capabilities_has(dm->caps, c->caps[i]))
			sb_printf(b, "%scapability %s required, missing", SEP, c->caps[i]);
	if (n->group != NONE && bpci__pl_group_on(dm, n->group))
		sb_printf(b, "%santi-affinity group %s already has a node here", SEP,
			  p->groups[n->group]);
	for (r = 0; r < NRES; r++) {
		if (n->need[r] <= p->avail[(size_t)d * NRES + r])
			continue;
		explain_amount(text, sizeof(text), p, d, r, n->need[r]);
		sb_printf(b, "%s%s", SEP, text);
	}
#undef SEP
	return b->len > before;
}

/* Most daemons a refusal message names one by one. */
#define REFUSAL_LIST_MAX 10

/*
 * "fits on no daemon: d1: reason; d2: reason; and 3 more daemons" for
 * @node, leaving out @exclude. NULL when out of memory.
 */
char *bpci__pl_refusal(bpci_placement *p, uint32_t node, uint32_t exclude)
{
	sbuf b = {NULL, 0, 0, 0};
	size_t d, listed = 0, more = 0;

	sb_printf(&b, "fits on no daemon");
	for (d = 0; d < p->nd; d++) {
		if (d == exclude)
			continue;
		if (listed == REFUSAL_LIST_MAX) {
			more++;
			continue;
		}
		sb_printf(&b, "%s %s: ", listed ? ";" : ":", bpci_daemon_spec_id(p->d[d].spec));
		if (!explain(&b, p, (uint32_t)d, &p->n[node]))
			sb_printf(&b, "no constraint failed");   /* cannot happen */
		listed++;
	}
	if (listed == 0)
		sb_printf(&b, ": there is no other daemon");
	if (more)
		sb_printf(&b, "; and %zu more daemon%s", more, more == 1 ? "" : "s");
	if (b.bad) {
		bpci__free(b.s);
		return NULL;
	}
	return b.s;
}

static void forget_node(bpci_placement *p, uint32_t i)
{
	bpci__strmap_del(&p->nmap, p->n[i].id);
	bpci__free(p->n[i].id);
	p->n[i].id = NULL;
	p->live--;
}

/* Undo a batch from node index @first on: unassign and drop every node. */
static void undo_batch(bpci_placement *p, size_t first, size_t saved_rr)
{
	size_t i;

	for (i = p->nn; i-- > first;)
		bpci__pl_unassign(p, (uint32_t)i);
	while (p->nn > first) {
		if (p->n[p->nn - 1].id)
			bpci__pl_drop_last_node(p);
		else
			p->nn--;
	}
	p->rr = saved_rr;
}

/* Place node @i or record its refusal; 0, 1 (refused) or BPCI_ENOMEM. */
static int place_one(bpci_placement *p, bpci_placement_plan *plan, uint32_t i,
		     bpci_diag *diag)
{
	uint32_t d;
	char *why;
	int rc;

	if (bpci__pl_class_ready(p, p->n[i].cls) < 0)
		return BPCI_ENOMEM;
	d = bpci__pl_choose(p, i, NONE);
	if (d != NONE) {
		if (bpci__pl_assign(p, i, d) < 0)
			return BPCI_ENOMEM;
		return bpci__pl_plan_add(plan, p->n[i].id, NULL,
					 bpci_daemon_spec_id(p->d[d].spec), NULL);
	}
	if (!(why = bpci__pl_refusal(p, i, NONE)))
		return BPCI_ENOMEM;
	rc = bpci__pl_plan_add(plan, p->n[i].id, NULL, NULL, why);
	if (rc == 0)
		bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, p->n[i].id, "%s", why);
	bpci__free(why);
	return rc < 0 ? rc : 1;
}

int bpci_placement_place(bpci_placement_plan **out, bpci_placement *p,
			 const bpci_placement_request *reqs, size_t count,
			 unsigned int flags, bpci_diag *diag)
{
	bpci_placement_plan *plan = NULL;
	size_t first = p->nn, saved_rr = p->rr, i, refused = 0;
	char field[40];
	int rc = 0;

	*out = NULL;
	/* Room for the whole batch at once: growing by doubling would copy
	 * (and fault in) the node array again and again. */
	if (bpci__grow((void **)&p->n, &p->ncap, p->nn + count, sizeof(*p->n)) < 0)
		return BPCI_ENOMEM;
	for (i = 0; i < count && rc >= 0; i++) {
		snprintf(field, sizeof(field), "requests[%zu]", i);
		rc = bpci__pl_node_from_request(p, &reqs[i], field, diag);
	}
	if (rc >= 0)
		rc = bpci__pl_plan_new(&plan);
	if (rc >= 0 && bpci__grow((void **)&plan->m, &plan->cap, count, sizeof(*plan->m)) < 0)
		rc = BPCI_ENOMEM;
	for (i = first; rc >= 0 && i < p->nn; i++) {
		rc = place_one(p, plan, (uint32_t)i, diag);
		refused += rc == 1;
	}
	if (rc < 0) {
		undo_batch(p, first, saved_rr);
		bpci_placement_plan_free(plan);
		return rc;
	}
	if (refused && (flags & BPCI_PLACEMENT_ALL_OR_NOTHING)) {
		undo_batch(p, first, saved_rr);
		for (i = 0; i < plan->n; i++) {   /* nobody was placed */
			bpci__free((char *)plan->m[i].to);
			plan->m[i].to = NULL;
		}
	} else if (refused) {
		for (i = first; i < p->nn; i++)
			if (p->n[i].daemon == NONE)
				forget_node(p, (uint32_t)i);
	}
	*out = plan;
	return refused ? BPCI_ELIMIT : 0;
}

/* The nodes on daemon @d, in the order they were added. */
static int nodes_on(const bpci_placement *p, uint32_t d, uint32_t **out, size_t *count)
{
	size_t i, n = 0;

	*out = bpci__malloc((p->d[d].hosted ? p->d[d].hosted : 1) * sizeof(**out));
	if (!*out)
		return BPCI_ENOMEM;
	for (i = 0; i < p->nn; i++)
		if (p->n[i].id && p->n[i].daemon == d)
			(*out)[n++] = (uint32_t)i;
	*count = n;
	return 0;
}

/* Move node @i from daemon @from to @to, or refuse it, recording the line. */
static int fail_one(bpci_placement *p, bpci_placement_plan *plan, uint32_t i, uint32_t from,
		    int *moved, bpci_diag *diag)
{
	const char *fid = bpci_daemon_spec_id(p->d[from].spec);
	uint32_t d;
	char *why;
	int rc;

	*moved = 0;
	if (bpci__pl_class_ready(p, p->n[i].cls) < 0)
		return BPCI_ENOMEM;
	d = bpci__pl_choose(p, i, from);
	if (d != NONE) {
		rc = bpci__pl_plan_add(plan, p->n[i].id, fid, bpci_daemon_spec_id(p->d[d].spec),
				       NULL);
		if (rc < 0)
			return rc;
		bpci__pl_unassign(p, i);
		if (bpci__pl_assign(p, i, d) < 0) {
			bpci__pl_assign(p, i, from);   /* its group slot is still there */
			return BPCI_ENOMEM;
		}
		*moved = 1;
		return 0;
	}
	if (!(why = bpci__pl_refusal(p, i, from)))
		return BPCI_ENOMEM;
	rc = bpci__pl_plan_add(plan, p->n[i].id, fid, NULL, why);
	if (rc == 0)
		bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ELIMIT, p->n[i].id, "%s", why);
	bpci__free(why);
	return rc;
}

int bpci_placement_failover(bpci_placement_plan **out, bpci_placement *p,
			    const char *daemon_id, bpci_diag *diag)
{
	uint32_t f = daemon_id ? bpci__strmap_get(&p->dmap, daemon_id) : NONE;
	bpci_placement_plan *plan = NULL;
	uint32_t *list = NULL;
	size_t n = 0, i, done = 0, saved_rr = p->rr;
	int rc, moved;
	char *flag;

	*out = NULL;
	if (f == NONE)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "daemon",
				      "%s is not a daemon of the placement",
				      daemon_id ? daemon_id : "(null)");
	rc = nodes_on(p, f, &list, &n);
	if (rc == 0)
		rc = bpci__pl_plan_new(&plan);
	flag = bpci__calloc(n ? n : 1, 1);
	if (!flag)
		rc = BPCI_ENOMEM;
	for (i = 0; rc == 0 && i < n; i++, done++) {
		rc = fail_one(p, plan, list[i], f, &moved, diag);
		flag[i] = (char)moved;
	}
	/* A plan, not an action: put every node back where it was. Its group
	 * slot on @f was kept (capacity never shrinks), so this cannot fail. */
	for (i = done; i-- > 0;)
		if (flag[i]) {
			bpci__pl_unassign(p, list[i]);
			bpci__pl_assign(p, list[i], f);
		}
	p->rr = saved_rr;
	bpci__free(list);
	bpci__free(flag);
	if (rc < 0) {
		bpci_placement_plan_free(plan);
		return rc;
	}
	*out = plan;
	return plan->refused ? BPCI_ELIMIT : 0;
}
