/*
 * Every strategy against a plain reference implementation: random daemons
 * (labels, capabilities, health, responsibilities, weights, loads) and
 * random batches of requests; each placement the library makes must be
 * the one a straightforward scan over all daemons makes, and each refusal
 * must be a node that truly fits nowhere. With 150 daemons this also
 * checks the block skipping of the selection loop.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "placement_test.h"

#define RD 150
#define RN 600

typedef struct ref_daemon {
	uint64_t cap[5], limit[5], res[5];
	int region;            /* -1 none */
	unsigned int caps;     /* bit 0 "x", bit 1 "y" */
	int healthy, lifecycle;
	unsigned int weight;
	uint64_t conns;
	double measured;
	size_t hosted;
	int groups[5];         /* nodes of group g hosted */
} ref_daemon;

typedef struct ref_node {
	uint64_t need[5];
	int region;
	unsigned int caps;
	int group;             /* -1 none */
} ref_node;

static uint64_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

static double util(const ref_daemon *d)
{
	double u = 0, x;
	int r;

	for (r = 0; r < 5; r++) {
		x = (double)d->res[r] * (d->cap[r] ? 1.0 / (double)d->cap[r] : 0.0);
		if (x > u)
			u = x;
	}
	return u;
}

static int ok(const ref_daemon *d, const ref_node *n)
{
	int r;

	if (!d->healthy || !d->lifecycle || (n->region >= 0 && d->region != n->region) ||
	    (n->caps & ~d->caps) || (n->group >= 0 && d->groups[n->group]))
		return 0;
	for (r = 0; r < 5; r++)
		if (n->need[r] && (d->res[r] >= d->limit[r] || n->need[r] > d->limit[r] - d->res[r]))
			return 0;
	return 1;
}

static double key(const ref_daemon *d, bpci_load_balancing lb)
{
	double u = util(d);

	switch (lb) {
	case BPCI_LB_WEIGHTED_ROUND_ROBIN:
		return (double)(d->hosted + 1) / d->weight;
	case BPCI_LB_LEAST_CONNECTIONS:
		return (double)d->conns + (double)d->hosted;
	case BPCI_LB_RESOURCE_BASED:
		return -u;
	default:
		return u > d->measured ? u : d->measured;
	}
}

static int choose(ref_daemon *d, int nd, const ref_node *n, bpci_load_balancing lb,
		  size_t *rr)
{
	int i, best = -1, k;

	if (lb == BPCI_LB_ROUND_ROBIN) {
		for (k = 0; k < nd; k++) {
			i = (int)((*rr + (size_t)k) % (size_t)nd);
			if (ok(&d[i], n)) {
				*rr = (size_t)i + 1;
				return i;
			}
		}
		return -1;
	}
	for (i = 0; i < nd; i++)
		if (ok(&d[i], n) && (best < 0 || key(&d[i], lb) < key(&d[best], lb)))
			best = i;
	return best;
}

static void make_daemon(bpci_placement *p, ref_daemon *d, int i, uint64_t *s)
{
	bpci_placement_daemon_state st = BPCI_PLACEMENT_DAEMON_STATE_INIT;
	char id[16], cap[96], labels[32], caps[8] = "";
	int r;

	memset(d, 0, sizeof(*d));
	d->cap[0] = (1 + rnd(s) % 16) * 1000;
	d->cap[1] = (1 + rnd(s) % 64) << 30;
	d->cap[2] = rnd(s) % 4 ? (1 + rnd(s) % 8) << 37 : 0;
	d->cap[3] = 1000 * (1 + rnd(s) % 10);
	d->cap[4] = rnd(s) % 5 == 0 ? 1 + rnd(s) % 4 : 0;
	for (r = 0; r < 5; r++)
		d->limit[r] = d->cap[r] / 100 * 80 + d->cap[r] % 100 * 80 / 100;
	d->region = (int)(rnd(s) % 3) - 1;
	d->caps = (unsigned int)(rnd(s) % 4);
	d->healthy = rnd(s) % 10 != 0;
	d->lifecycle = rnd(s) % 10 != 0;
	d->weight = 1 + (unsigned int)(rnd(s) % 4);
	d->conns = rnd(s) % 20;
	d->measured = (double)(rnd(s) % 11) / 10.0;
	snprintf(id, sizeof(id), "d%03d", i);
	snprintf(cap, sizeof(cap), "cpu=%llum,memory=%lluB,storage=%lluB,network=%llu,gpu=%llu",
		 (unsigned long long)d->cap[0], (unsigned long long)d->cap[1],
		 (unsigned long long)d->cap[2], (unsigned long long)d->cap[3],
		 (unsigned long long)d->cap[4]);
	snprintf(labels, sizeof(labels), "region=r%d", d->region);
	if (d->caps)
		snprintf(caps, sizeof(caps), "%s%s%s", d->caps & 1 ? "x" : "",
			 d->caps == 3 ? "," : "", d->caps & 2 ? "y" : "");
	st.healthy = d->healthy;
	st.weight = d->weight;
	st.connections = d->conns;
	st.load = d->measured;
	if (d->lifecycle) {
		pt_daemon_state(p, id, cap, d->region >= 0 ? labels : NULL,
				d->caps ? caps : NULL, st);
	} else {
		pt_daemon(p, id, cap, d->region >= 0 ? labels : NULL,
			  "health_monitoring,fault_recovery", d->caps ? caps : NULL, d->healthy);
		ck_assert_int_eq(bpci_placement_set_daemon_state(p, id, &st, NULL), 0);
		if (d->caps) {   /* set_daemon_state replaced the capabilities */
			bpci_capabilities *c = NULL;

			ck_assert_int_eq(bpci_capabilities_parse(&c, caps, NULL), 0);
			st.capabilities = c;
			ck_assert_int_eq(bpci_placement_set_daemon_state(p, id, &st, NULL), 0);
			bpci_capabilities_free(c);
		}
	}
}

static void run_strategy(bpci_load_balancing lb, uint64_t seed)
{
	bpci_placement *p = pt_new(lb, 80);
	static ref_daemon d[RD];
	static ref_node n[RN];
	static char ids[RN][16], labels[RN][16];
	bpci_placement_request req[20];
	bpci_placement_plan *plan;
	const bpci_placement_move *m;
	size_t rr = 0, k, batch, placed = 0, refused = 0;
	int i, want, r, done = 0;
	uint64_t s = seed;

	for (i = 0; i < RD; i++)
		make_daemon(p, &d[i], i, &s);
	while (done < RN) {
		batch = 1 + rnd(&s) % 20;
		if (batch > (size_t)(RN - done))
			batch = (size_t)(RN - done);
		for (k = 0; k < batch; k++) {
			ref_node *x = &n[done + (int)k];
			bpci_placement_request init = BPCI_PLACEMENT_REQUEST_INIT;
			static const char *const groups[5] = {"g0", "g1", "g2", "g3", "g4"};

			x->need[0] = 100 * (1 + rnd(&s) % 40);
			x->need[1] = (rnd(&s) % 9) << 29;
			x->need[2] = rnd(&s) % 3 ? 0 : (1 + rnd(&s) % 100) << 30;
			x->need[3] = rnd(&s) % 200;
			x->need[4] = rnd(&s) % 10 == 0;
			x->region = rnd(&s) % 3 ? -1 : (int)(rnd(&s) % 2);
			x->caps = rnd(&s) % 3 ? 0 : (unsigned int)(rnd(&s) % 4);
			x->group = rnd(&s) % 5 ? -1 : (int)(rnd(&s) % 5);
			snprintf(ids[done + (int)k], 16, "n%d", done + (int)k);
			snprintf(labels[done + (int)k], 16, "region=r%d", x->region);
			req[k] = init;
			req[k].id = ids[done + (int)k];
			req[k].need.cpu_millicores = x->need[0];
			req[k].need.memory_bytes = x->need[1];
			req[k].need.storage_bytes = x->need[2];
			req[k].need.network_mbps = x->need[3];
			req[k].need.gpu_units = x->need[4];
			req[k].labels = x->region >= 0 ? labels[done + (int)k] : NULL;
			if (x->caps) {
				bpci_capabilities *c = NULL;

				ck_assert_int_eq(bpci_capabilities_parse(&c, x->caps == 1 ? "x"
									 : x->caps == 2 ? "y" : "x,y",
									 NULL), 0);
				req[k].capabilities = c;
			}
			req[k].anti_affinity = x->group >= 0 ? groups[x->group] : NULL;
		}
		i = bpci_placement_place(&plan, p, req, batch, 0, NULL);
		ck_assert_msg(i == 0 || i == BPCI_ELIMIT, "rc=%d", i);
		for (k = 0; k < batch; k++) {
			ref_node *x = &n[done + (int)k];

			m = bpci_placement_plan_at(plan, k);
			want = choose(d, RD, x, lb, &rr);
			if (want < 0) {
				ck_assert_msg(m->to == NULL, "%s placed on %s, reference refuses",
					      m->node, m->to);
				ck_assert_ptr_nonnull(m->reason);
				refused++;
			} else {
				ck_assert_msg(m->to && atoi(m->to + 1) == want,
					      "%s: %s, reference d%03d (strategy %d)", m->node,
					      m->to ? m->to : "refused", want, (int)lb);
				for (r = 0; r < 5; r++)
					d[want].res[r] += x->need[r];
				d[want].hosted++;
				if (x->group >= 0)
					d[want].groups[x->group]++;
				placed++;
			}
			pt_req_done(&req[k]);
		}
		bpci_placement_plan_free(plan);
		done += (int)batch;
	}
	/* Both outcomes must have happened for the comparison to mean much. */
	ck_assert_msg(placed > 100 && refused > 10, "placed %zu, refused %zu", placed, refused);
	bpci_placement_free(p);
}

START_TEST(strategies_match_the_reference)
{
	static const bpci_load_balancing lbs[5] = {
		BPCI_LB_ROUND_ROBIN, BPCI_LB_WEIGHTED_ROUND_ROBIN, BPCI_LB_LEAST_CONNECTIONS,
		BPCI_LB_RESOURCE_BASED, BPCI_LB_ADAPTIVE};

	run_strategy(lbs[_i % 5], 1000 + (uint64_t)_i);
}
END_TEST

void pt_add_reference_tests(Suite *s)
{
	TCase *tc = tcase_create("reference");

	tcase_add_loop_test(tc, strategies_match_the_reference, 0, 10);
	suite_add_tcase(s, tc);
}
