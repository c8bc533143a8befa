/* The placement handle: daemons, nodes, constraint classes, bookkeeping. */
#include "placement_internal.h"

#include <math.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"

int bpci_placement_new(bpci_placement **out, const bpci_placement_options *opts,
		       bpci_diag *diag)
{
	static const bpci_placement_options defaults = BPCI_PLACEMENT_OPTIONS_INIT;
	bpci_placement *p;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (opts->version != BPCI_PLACEMENT_OPTIONS_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EUNSUPPORTED, "version",
				      "options version %u is not %u", opts->version,
				      BPCI_PLACEMENT_OPTIONS_VERSION);
	if (!bpci_load_balancing_name(opts->strategy))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "strategy",
				      "must be round_robin, weighted_round_robin, "
				      "least_connections, resource_based or adaptive, got %d",
				      (int)opts->strategy);
	if (opts->max_utilization_percent < 1 || opts->max_utilization_percent > 100)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL,
				      "max_utilization_percent", "must be 1..100, got %u",
				      opts->max_utilization_percent);
	p = bpci__calloc(1, sizeof(*p));
	if (!p)
		return BPCI_ENOMEM;
	p->strategy = opts->strategy;
	p->pct = opts->max_utilization_percent;
	*out = p;
	return 0;
}

static void free_class(pl_class *c)
{
	size_t i;

	for (i = 0; i < c->nl; i++) {
		bpci__free(c->lkeys[i]);
		bpci__free(c->lvals[i]);
	}
	for (i = 0; i < c->ncaps; i++)
		bpci__free(c->caps[i]);
	bpci__free(c->lkeys);
	bpci__free(c->lvals);
	bpci__free(c->caps);
	bpci__free(c->elig);
	bpci__free(c->key);
}

void bpci_placement_free(bpci_placement *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nd; i++) {
		bpci_daemon_spec_free(p->d[i].spec);
		bpci_capabilities_free(p->d[i].caps);
		bpci__free(p->d[i].groups);
	}
	for (i = 0; i < p->nn; i++)
		bpci__free(p->n[i].id);
	for (i = 0; i < p->nc; i++)
		free_class(&p->c[i]);
	for (i = 0; i < p->ng; i++)
		bpci__free(p->groups[i]);
	bpci__free(p->d);
	bpci__free(p->avail);
	bpci__free(p->bmax);
	bpci__free(p->key);
	bpci__free(p->util);
	bpci__free(p->n);
	bpci__free(p->c);
	bpci__free(p->groups);
	bpci__strmap_free(&p->dmap);
	bpci__strmap_free(&p->nmap);
	bpci__strmap_free(&p->cmap);
	bpci__strmap_free(&p->gmap);
	bpci__free(p);
}

void bpci__pl_vec(uint64_t out[NRES], const bpci_resources *r)
{
	out[0] = r->cpu_millicores;
	out[1] = r->memory_bytes;
	out[2] = r->storage_bytes;
	out[3] = r->network_mbps;
	out[4] = r->gpu_units;
}

/* floor(v * pct / 100) without overflow for any 64-bit v. */
static uint64_t ceiling_of(uint64_t v, unsigned int pct)
{
	return v / 100 * pct + v % 100 * pct / 100;
}

static double load_of(const pl_daemon *dm)
{
	double u = 0, x;
	int r;

	for (r = 0; r < NRES; r++) {
		x = (double)dm->reserved[r] * dm->inv_cap[r];
		if (x > u)
			u = x;
	}
	return u;
}

/* Recompute the free maxima of @d's block after @d's amounts changed. */
static void refresh_block(bpci_placement *p, uint32_t d, const uint64_t old[NRES])
{
	uint64_t *m = p->bmax + (size_t)(d / BLOCK) * NRES;
	const uint64_t *a = p->avail + (size_t)d * NRES;
	size_t first = (size_t)(d / BLOCK) * BLOCK, end = first + BLOCK, i;
	int r, rescan = 0;

	if (end > p->nd)
		end = p->nd;
	for (r = 0; r < NRES; r++) {
		if (a[r] >= m[r])
			m[r] = a[r];
		else if (old[r] == m[r])
			rescan = 1;   /* @d held the maximum and lost some */
	}
	if (!rescan)
		return;
	memset(m, 0, NRES * sizeof(*m));
	for (i = first; i < end; i++)
		for (r = 0; r < NRES; r++)
			if (p->avail[i * NRES + r] > m[r])
				m[r] = p->avail[i * NRES + r];
}

/* Recompute what the selection loop reads about daemon @d. */
void bpci__pl_refresh(bpci_placement *p, uint32_t d)
{
	pl_daemon *dm = &p->d[d];
	uint64_t old[NRES];
	double k = 0;
	int r;

	for (r = 0; r < NRES; r++) {
		old[r] = p->avail[(size_t)d * NRES + r];
		p->avail[(size_t)d * NRES + r] =
			dm->reserved[r] < dm->limit[r] ? dm->limit[r] - dm->reserved[r] : 0;
	}
	refresh_block(p, d, old);
	p->util[d] = load_of(dm);
	switch (p->strategy) {
	case BPCI_LB_WEIGHTED_ROUND_ROBIN:
		k = (double)(dm->hosted + 1) / dm->weight;
		break;
	case BPCI_LB_LEAST_CONNECTIONS:
		k = (double)dm->connections + (double)dm->hosted;
		break;
	case BPCI_LB_RESOURCE_BASED:
		k = -p->util[d];
		break;
	case BPCI_LB_ADAPTIVE:
		k = p->util[d] > dm->measured ? p->util[d] : dm->measured;
		break;
	default:
		break;
	}
	p->key[d] = k;
}

static void invalidate_classes(bpci_placement *p)
{
	size_t i;

	for (i = 0; i < p->nc; i++)
		p->c[i].valid = 0;
}

static int check_state(const bpci_placement_daemon_state *st, const char *id, bpci_diag *diag)
{
	if (st->version != BPCI_PLACEMENT_DAEMON_STATE_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EUNSUPPORTED, "version",
				      "daemon state version %u is not %u", st->version,
				      BPCI_PLACEMENT_DAEMON_STATE_VERSION);
	if (st->weight < 1)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "weight",
				      "of daemon %s must be at least 1, got 0", id);
	if (!(st->load >= 0.0 && st->load <= 1.0))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "load",
				      "of daemon %s must be 0..1, got %g", id, st->load);
	return 0;
}

/* Set the state fields of daemon @d, recomputing its reservation. */
static int apply_state(bpci_placement *p, uint32_t d, const bpci_placement_daemon_state *st)
{
	pl_daemon *dm = &p->d[d];
	bpci_capabilities *caps = NULL;
	uint64_t base[NRES];
	int r;

	if (st->capabilities && bpci_capabilities_dup(&caps, st->capabilities) < 0)
		return BPCI_ENOMEM;
	bpci_capabilities_free(dm->caps);
	dm->caps = caps;
	dm->healthy = st->healthy != 0;
	dm->measured = st->load;
	dm->connections = st->connections;
	dm->weight = st->weight;
	bpci__pl_vec(base, &st->reserved);
	for (r = 0; r < NRES; r++) {
		dm->reserved[r] = dm->reserved[r] - dm->base[r] + base[r];
		dm->base[r] = base[r];
	}
	bpci__pl_refresh(p, d);
	invalidate_classes(p);
	return 0;
}

static int grow_daemons(bpci_placement *p)
{
	size_t need = p->nd + 1;

	if (bpci__grow((void **)&p->d, &p->dcap, need, sizeof(*p->d)) < 0 ||
	    bpci__grow((void **)&p->key, &p->kcap, need, sizeof(*p->key)) < 0 ||
	    bpci__grow((void **)&p->util, &p->ucap, need, sizeof(*p->util)) < 0 ||
	    bpci__grow((void **)&p->avail, &p->acap, need * NRES, sizeof(*p->avail)) < 0 ||
	    bpci__grow((void **)&p->bmax, &p->bcap, (need + BLOCK - 1) / BLOCK * NRES,
		       sizeof(*p->bmax)) < 0)
		return BPCI_ENOMEM;
	if (p->nd % BLOCK == 0)   /* a new block starts empty */
		memset(p->bmax + p->nd / BLOCK * NRES, 0, NRES * sizeof(*p->bmax));
	memset(p->avail + p->nd * NRES, 0, NRES * sizeof(*p->avail));
	return 0;
}

int bpci_placement_add_daemon(bpci_placement *p, const bpci_daemon_spec *spec,
			      const bpci_placement_daemon_state *state, bpci_diag *diag)
{
	static const bpci_placement_daemon_state defaults = BPCI_PLACEMENT_DAEMON_STATE_INIT;
	const char *id = bpci_daemon_spec_id(spec);
	pl_daemon *dm;
	uint32_t d = (uint32_t)p->nd;
	int r, rc;

	if (!state)
		state = &defaults;
	if (!id)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "id",
				      "a daemon needs an id to host nodes");
	if ((rc = check_state(state, id, diag)) < 0)
		return rc;
	if (bpci__strmap_get(&p->dmap, id) != NONE)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EEXISTS, "id",
				      "daemon %s is already part of the placement", id);
	if (grow_daemons(p) < 0)
		return BPCI_ENOMEM;
	dm = &p->d[d];
	memset(dm, 0, sizeof(*dm));
	if (bpci_daemon_spec_dup(&dm->spec, spec) < 0)
		return BPCI_ENOMEM;
	/* The map borrows the id from the copy, which lives as long as the handle. */
	if (bpci__strmap_put(&p->dmap, bpci_daemon_spec_id(dm->spec), d) < 0) {
		bpci_daemon_spec_free(dm->spec);
		return BPCI_ENOMEM;
	}
	dm->lifecycle = (bpci_daemon_spec_responsibilities(spec) &
			 BPCI_RESPONSIBILITY_NODE_LIFECYCLE) != 0;
	bpci__pl_vec(dm->cap, bpci_daemon_spec_capacity(spec));
	for (r = 0; r < NRES; r++) {
		dm->limit[r] = ceiling_of(dm->cap[r], p->pct);
		dm->inv_cap[r] = dm->cap[r] ? 1.0 / (double)dm->cap[r] : 0.0;
	}
	p->nd++;
	if (apply_state(p, d, state) < 0) {
		p->nd--;
		bpci__strmap_del(&p->dmap, id);
		bpci_daemon_spec_free(dm->spec);
		return BPCI_ENOMEM;
	}
	return 0;
}

int bpci_placement_set_daemon_state(bpci_placement *p, const char *daemon_id,
				    const bpci_placement_daemon_state *state, bpci_diag *diag)
{
	static const bpci_placement_daemon_state defaults = BPCI_PLACEMENT_DAEMON_STATE_INIT;
	uint32_t d = daemon_id ? bpci__strmap_get(&p->dmap, daemon_id) : NONE;
	int rc;

	if (d == NONE)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "daemon",
				      "%s is not a daemon of the placement",
				      daemon_id ? daemon_id : "(null)");
	if (!state)
		state = &defaults;
	if ((rc = check_state(state, daemon_id, diag)) < 0)
		return rc;
	return apply_state(p, d, state);
}

int bpci__pl_group_on(const pl_daemon *dm, uint32_t group)
{
	size_t i;

	for (i = 0; i < dm->ngroups; i++)
		if (dm->groups[i].group == group)
			return 1;
	return 0;
}

int bpci__pl_fits(const bpci_placement *p, uint32_t d, const pl_node *node)
{
	const uint64_t *a = p->avail + (size_t)d * NRES;

	return node->need[0] <= a[0] && node->need[1] <= a[1] && node->need[2] <= a[2] &&
	       node->need[3] <= a[3] && node->need[4] <= a[4];
}

int bpci__pl_assign(bpci_placement *p, uint32_t node, uint32_t d)
{
	pl_node *n = &p->n[node];
	pl_daemon *dm = &p->d[d];
	size_t i;
	int r;

	if (n->group != NONE) {
		for (i = 0; i < dm->ngroups && dm->groups[i].group != n->group; i++)
			;
		if (i == dm->ngroups) {
			if (bpci__grow((void **)&dm->groups, &dm->groups_cap, i + 1,
				       sizeof(*dm->groups)) < 0)
				return BPCI_ENOMEM;
			dm->groups[i].group = n->group;
			dm->groups[i].count = 0;
			dm->ngroups++;
		}
		dm->groups[i].count++;
	}
	for (r = 0; r < NRES; r++)
		dm->reserved[r] += n->need[r];
	dm->hosted++;
	n->daemon = d;
	bpci__pl_refresh(p, d);
	return 0;
}

void bpci__pl_unassign(bpci_placement *p, uint32_t node)
{
	pl_node *n = &p->n[node];
	pl_daemon *dm;
	size_t i;
	int r;

	if (n->daemon == NONE)
		return;
	dm = &p->d[n->daemon];
	if (n->group != NONE) {
		for (i = 0; i < dm->ngroups && dm->groups[i].group != n->group; i++)
			;
		if (i < dm->ngroups && --dm->groups[i].count == 0)
			dm->groups[i] = dm->groups[--dm->ngroups];
	}
	for (r = 0; r < NRES; r++)
		dm->reserved[r] -= n->need[r];
	dm->hosted--;
	bpci__pl_refresh(p, n->daemon);
	n->daemon = NONE;
}

/* The load daemon @d would have with @node added (@sign > 0) or removed. */
double bpci__pl_util_delta(const bpci_placement *p, uint32_t d, const pl_node *node, int sign)
{
	const pl_daemon *dm = &p->d[d];
	double u = 0, x;
	int r;

	for (r = 0; r < NRES; r++) {
		uint64_t v = sign > 0 ? dm->reserved[r] + node->need[r]
				      : dm->reserved[r] - node->need[r];
		x = (double)v * dm->inv_cap[r];
		if (x > u)
			u = x;
	}
	return u;
}

size_t bpci_placement_node_count(const bpci_placement *p)
{
	return p ? p->live : 0;
}

const char *bpci_placement_node_daemon(const bpci_placement *p, const char *node_id)
{
	uint32_t i = node_id ? bpci__strmap_get(&p->nmap, node_id) : NONE;

	if (i == NONE || p->n[i].daemon == NONE)
		return NULL;
	return bpci_daemon_spec_id(p->d[p->n[i].daemon].spec);
}

int bpci_placement_daemon_usage(const bpci_placement *p, const char *daemon_id,
				bpci_resources *reserved, double *load, size_t *nodes)
{
	uint32_t d = daemon_id ? bpci__strmap_get(&p->dmap, daemon_id) : NONE;
	const pl_daemon *dm;

	if (d == NONE)
		return BPCI_ENOTFOUND;
	dm = &p->d[d];
	if (reserved) {
		reserved->cpu_millicores = dm->reserved[0];
		reserved->memory_bytes = dm->reserved[1];
		reserved->storage_bytes = dm->reserved[2];
		reserved->network_mbps = dm->reserved[3];
		reserved->gpu_units = dm->reserved[4];
	}
	if (load)
		*load = p->util[d];
	if (nodes)
		*nodes = dm->hosted;
	return 0;
}

int bpci_placement_add_node(bpci_placement *p, const bpci_placement_request *req,
			    const char *daemon_id, bpci_diag *diag)
{
	uint32_t d = daemon_id ? bpci__strmap_get(&p->dmap, daemon_id) : NONE;
	int node;

	if (d == NONE)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_ENOTFOUND, "daemon",
				      "%s is not a daemon of the placement",
				      daemon_id ? daemon_id : "(null)");
	node = bpci__pl_node_from_request(p, req, "node", diag);
	if (node < 0)
		return node;
	if (bpci__pl_assign(p, (uint32_t)node, d) < 0) {
		bpci__pl_drop_last_node(p);
		return BPCI_ENOMEM;
	}
	return 0;
}

int bpci_placement_remove_node(bpci_placement *p, const char *node_id)
{
	uint32_t i = node_id ? bpci__strmap_get(&p->nmap, node_id) : NONE;

	if (i == NONE)
		return BPCI_ENOTFOUND;
	bpci__pl_unassign(p, i);
	bpci__strmap_del(&p->nmap, node_id);
	bpci__free(p->n[i].id);
	p->n[i].id = NULL;
	p->live--;
	return 0;
}
