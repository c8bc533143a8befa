/*
 * placement_bench — the plan layer's costs: placing 100,000 nodes onto
 * 1,000 daemons with each strategy, a rebalance plan for 10,000 nodes, and
 * port allocation at 10 %, 50 % and 99 % pool utilization; then the same
 * work through the daemon tree (what `bpci-enterprise daemon-tree` runs):
 * rebalance on a 100- and a 1,000-daemon tree, a failover, and placing
 * 100,000 nodes one by one (PLACEMENT_BENCH_TREE_NODES overrides the count).
 * Each figure is the median of a few runs (CLOCK_MONOTONIC).
 */
#include <bpci.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/bench_util.h"

#define RUNS 3

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), bench_cmp_double);
	return v[n / 2];
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "placement_bench: %s: %s\n", what, bpci_strerror(rc));
	exit(1);
}

/* Daemon i: 64 cores, 256Gi, 2Ti, 10 Gbit/s; region r0..r3; varied state. */
static void add_daemons(bpci_placement *p, int first, int n)
{
	bpci_placement_daemon_state st = BPCI_PLACEMENT_DAEMON_STATE_INIT;
	bpci_daemon_spec *spec;
	char id[32], labels[32];
	int i, rc;

	for (i = first; i < first + n; i++) {
		if ((rc = bpci_daemon_spec_new(&spec)) < 0)
			die("spec", rc);
		snprintf(id, sizeof(id), "daemon-%04d", i);
		snprintf(labels, sizeof(labels), "region=r%d", i % 4);
		if ((rc = bpci_daemon_spec_set(spec, "id", id, NULL)) < 0 ||
		    (rc = bpci_daemon_spec_set(spec, "capacity",
					       "cpu=64,memory=256Gi,storage=2Ti,network=10000",
					       NULL)) < 0 ||
		    (rc = bpci_daemon_spec_set(spec, "labels", labels, NULL)) < 0)
			die("spec set", rc);
		st.weight = 1 + (unsigned int)(i % 3);
		st.connections = (uint64_t)(i % 50);
		st.load = (double)(i % 10) / 20.0;
		if ((rc = bpci_placement_add_daemon(p, spec, &st, NULL)) < 0)
			die("add daemon", rc);
		bpci_daemon_spec_free(spec);
	}
}

static bpci_placement_request *make_requests(int n, char ***ids)
{
	static const char *const regions[4] = {"region=r0", "region=r1", "region=r2",
					       "region=r3"};
	bpci_placement_request *r = calloc((size_t)n, sizeof(*r));
	bpci_placement_request init = BPCI_PLACEMENT_REQUEST_INIT;
	int i;

	*ids = calloc((size_t)n, sizeof(char *));
	if (!r || !*ids)
		die("calloc", BPCI_ENOMEM);
	for (i = 0; i < n; i++) {
		(*ids)[i] = malloc(24);
		snprintf((*ids)[i], 24, "node-%06d", i);
		r[i] = init;
		r[i].id = (*ids)[i];
		r[i].need.cpu_millicores = (uint64_t)(i % 4 + 1) * 100;
		r[i].need.memory_bytes = (uint64_t)(i % 4 + 1) << 29;
		r[i].need.storage_bytes = 10ull << 30;
		r[i].need.network_mbps = 10;
		r[i].labels = i % 4 == 0 ? regions[(i / 4) % 4] : NULL;
	}
	return r;
}

static void free_requests(bpci_placement_request *r, char **ids, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
	free(r);
}

static bpci_placement *new_placement(bpci_load_balancing lb)
{
	bpci_placement_options o = BPCI_PLACEMENT_OPTIONS_INIT;
	bpci_placement *p;
	int rc;

	o.strategy = lb;
	if ((rc = bpci_placement_new(&p, &o, NULL)) < 0)
		die("new", rc);
	return p;
}

static void bench_place(void)
{
	static const bpci_load_balancing lbs[5] = {
		BPCI_LB_ROUND_ROBIN, BPCI_LB_WEIGHTED_ROUND_ROBIN, BPCI_LB_LEAST_CONNECTIONS,
		BPCI_LB_RESOURCE_BASED, BPCI_LB_ADAPTIVE};
	const int nodes = 100000, daemons = 1000;
	char **ids;
	bpci_placement_request *r = make_requests(nodes, &ids);
	bpci_placement_plan *plan;
	double t[RUNS], t0;
	size_t refused = 0;
	int s, k, rc;

	printf("placement of %d nodes onto %d daemons (target <= 1 s)\n", nodes, daemons);
	printf("  %-22s %10s %10s\n", "strategy", "median s", "refused");
	for (s = 0; s < 5; s++) {
		for (k = 0; k < RUNS; k++) {
			bpci_placement *p = new_placement(lbs[s]);

			add_daemons(p, 0, daemons);
			t0 = bench_now_s();
			rc = bpci_placement_place(&plan, p, r, (size_t)nodes, 0, NULL);
			t[k] = bench_now_s() - t0;
			if (rc < 0 && rc != BPCI_ELIMIT)
				die("place", rc);
			refused = bpci_placement_plan_refused(plan);
			bpci_placement_plan_free(plan);
			bpci_placement_free(p);
		}
		printf("  %-22s %10.3f %10zu\n", bpci_load_balancing_name(lbs[s]),
		       median(t, RUNS), refused);
	}
	free_requests(r, ids, nodes);
}

static void bench_rebalance(void)
{
	const int nodes = 10000;
	char **ids;
	bpci_placement_request *r = make_requests(nodes, &ids);
	bpci_placement_plan *plan;
	double t[RUNS], t0;
	size_t moves = 0;
	int k, rc;

	printf("\nrebalance plan, %d nodes packed on 70 daemons, 30 empty ones added "
	       "(target <= 100 ms)\n", nodes);
	for (k = 0; k < RUNS; k++) {
		bpci_placement *p = new_placement(BPCI_LB_RESOURCE_BASED);

		add_daemons(p, 0, 70);
		rc = bpci_placement_place(&plan, p, r, (size_t)nodes, 0, NULL);
		if (rc < 0)
			die("place for rebalance", rc);
		bpci_placement_plan_free(plan);
		add_daemons(p, 70, 30);
		t0 = bench_now_s();
		if ((rc = bpci_placement_rebalance(&plan, p, NULL)) < 0)
			die("rebalance", rc);
		t[k] = bench_now_s() - t0;
		moves = bpci_placement_plan_count(plan);
		bpci_placement_plan_free(plan);
		bpci_placement_free(p);
	}
	printf("  %-22s %10.3f ms, %zu moves\n", "rebalance", median(t, RUNS) * 1e3, moves);
	free_requests(r, ids, nodes);
}

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ns per allocate (plus the release that keeps utilization steady). */
static double port_ns(double utilization)
{
	bpci_port_pool *pool;
	uint16_t *held, port;
	size_t n = 0, target, i, ops = 2000000, j;
	uint64_t seed = 88172645463325252ull;
	double t0, t;
	int rc;

	if ((rc = bpci_port_pool_new(&pool, NULL, NULL)) < 0)
		die("pool", rc);
	target = (size_t)(utilization * (double)bpci_port_pool_capacity(pool));
	held = malloc(bpci_port_pool_capacity(pool) * sizeof(*held));
	/* Fill, then churn once so that the free ports are scattered. */
	while (n < target && bpci_port_pool_allocate(&held[n], pool, 0) == 0)
		n++;
	for (i = 0; i < target; i++) {
		j = (size_t)(rng(&seed) % n);
		bpci_port_pool_release(pool, held[j]);
		bpci_port_pool_allocate(&held[j], pool, 0);
	}
	t0 = bench_now_s();
	for (i = 0; i < ops; i++) {
		j = (size_t)(rng(&seed) % n);
		bpci_port_pool_release(pool, held[j]);
		if (bpci_port_pool_allocate(&port, pool, 0) < 0)
			die("allocate", BPCI_ELIMIT);
		held[j] = port;
	}
	t = bench_now_s() - t0;
	free(held);
	bpci_port_pool_free(pool);
	return t / (double)ops * 1e9;
}

static void bench_ports(void)
{
	static const double util[3] = {0.10, 0.50, 0.99};
	double t[RUNS];
	int u, k;
	char label[16];

	printf("\nport pool 20000-32000: release a random port + allocate, steady utilization\n");
	printf("  %-22s %10s\n", "utilization", "ns/op");
	for (u = 0; u < 3; u++) {
		for (k = 0; k < RUNS; k++)
			t[k] = port_ns(util[u]);
		snprintf(label, sizeof(label), "%.0f %%", util[u] * 100);
		printf("  %-22s %10.1f\n", label, median(t, RUNS));
	}
}

/* ---- the daemon tree ---------------------------------------------- */

#ifndef TREE_RUNS
#define TREE_RUNS 5
#endif

static bpci_daemon_spec *tree_spec(const char *id, const char *parent, int hosts, int region)
{
	bpci_daemon_spec *spec;
	char labels[32];
	int rc;

	if ((rc = bpci_daemon_spec_new(&spec)) < 0)
		die("spec", rc);
	snprintf(labels, sizeof(labels), "region=r%d", region % 4);
	if ((rc = bpci_daemon_spec_set(spec, "id", id, NULL)) < 0 ||
	    (parent && (rc = bpci_daemon_spec_set(spec, "parent", parent, NULL)) < 0) ||
	    (rc = bpci_daemon_spec_set(spec, "labels", labels, NULL)) < 0)
		die("spec set", rc);
	/* Inner daemons supervise and balance; only the leaves host nodes. */
	if (!hosts && (rc = bpci_daemon_spec_set(spec, "responsibilities",
						 "resource_coordination,health_monitoring,"
						 "load_balancing,fault_recovery", NULL)) < 0)
		die("spec responsibilities", rc);
	if (hosts && (rc = bpci_daemon_spec_set(spec, "capacity",
						"cpu=64,memory=256Gi,storage=2Ti,network=10000",
						NULL)) < 0)
		die("spec capacity", rc);
	return spec;
}

static void tree_add(bpci_daemon_tree *t, const char *id, const char *parent, int hosts,
		     int region)
{
	bpci_daemon_spec *spec = tree_spec(id, parent, hosts, region);
	int rc;

	if ((rc = bpci_daemon_tree_add(t, spec, NULL)) < 0)
		die("tree add", rc);
	bpci_daemon_spec_free(spec);
}

/* A root over @mids inner daemons (0: the leaves are the root's children). */
static bpci_daemon_tree *tree_new(int mids)
{
	bpci_daemon_tree_options o = BPCI_DAEMON_TREE_OPTIONS_INIT;
	bpci_daemon_spec *root = tree_spec("root", NULL, 0, 0);
	bpci_daemon_tree *t;
	char id[32];
	int m, rc;

	o.max_children = 1000;
	if ((rc = bpci_daemon_tree_new(&t, root, mids ? 3 : 2, &o, NULL)) < 0)
		die("tree new", rc);
	bpci_daemon_spec_free(root);
	for (m = 0; m < mids; m++) {
		snprintf(id, sizeof(id), "mid-%02d", m);
		tree_add(t, id, "root", 0, m);
	}
	return t;
}

/* Leaves @first..@last-1 of each of @mids inner daemons (or of the root). */
static void tree_leaves(bpci_daemon_tree *t, int mids, int first, int last)
{
	char id[32], parent[32];
	int m, i;

	for (m = 0; m < (mids ? mids : 1); m++)
		for (i = first; i < last; i++) {
			snprintf(parent, sizeof(parent), mids ? "mid-%02d" : "root", m);
			snprintf(id, sizeof(id), "leaf-%02d-%03d", m, i);
			tree_add(t, id, parent, 1, i);
		}
}

/* @nodes nodes recorded round-robin on the leaves there are (the packed
 * state the empty leaves added next are balanced against). */
static void tree_pack(bpci_daemon_tree *t, bpci_placement_request *r, int nodes)
{
	size_t leaves = bpci_daemon_tree_count(t), first = 0, k;
	int i, rc;

	while (first < leaves && !bpci_daemon_spec_capacity(bpci_daemon_tree_at(t, first))->cpu_millicores)
		first++;
	for (i = 0; i < nodes; i++) {
		bpci_placement_request q = r[i];

		q.labels = NULL;  /* round-robin ignores them: no constraint to break */
		k = first + (size_t)i % (leaves - first);
		if ((rc = bpci_daemon_tree_add_node(t, &q,
						     bpci_daemon_spec_id(bpci_daemon_tree_at(t, k)),
						     NULL)) < 0)
			die("tree add node", rc);
	}
}

static void bench_tree_rebalance(int mids, int per_mid_packed, int per_mid, const char *label,
				 bpci_placement_request *r, int nodes)
{
	bpci_daemon_tree *t = tree_new(mids);
	bpci_daemon_tree_plan *plan;
	double tv[TREE_RUNS], t0;
	size_t moves = 0;
	int k, rc;

	tree_leaves(t, mids, 0, per_mid_packed);
	tree_pack(t, r, nodes);
	tree_leaves(t, mids, per_mid_packed, per_mid);
	for (k = 0; k < TREE_RUNS; k++) {
		t0 = bench_now_s();
		if ((rc = bpci_daemon_tree_rebalance(&plan, t, NULL)) < 0)
			die("tree rebalance", rc);
		tv[k] = bench_now_s() - t0;
		moves = bpci_daemon_tree_plan_count(plan);
		bpci_daemon_tree_plan_free(plan);
	}
	printf("  %-34s %10.3f ms %8zu moves\n", label, median(tv, TREE_RUNS) * 1e3, moves);
	/* What `daemon-tree rebalance` (not --dry-run) does next: carry it out. */
	if ((rc = bpci_daemon_tree_rebalance(&plan, t, NULL)) < 0)
		die("tree rebalance", rc);
	for (k = 0; k < TREE_RUNS; k++) {
		bpci_daemon_tree *c;

		if ((rc = bpci_daemon_tree_dup(&c, t)) < 0)
			die("tree dup", rc);
		t0 = bench_now_s();
		if ((rc = bpci_daemon_tree_apply(c, plan, NULL)) < 0)
			die("tree apply", rc);
		tv[k] = bench_now_s() - t0;
		bpci_daemon_tree_free(c);
	}
	printf("  %-34s %10.3f ms\n", "  apply of that plan", median(tv, TREE_RUNS) * 1e3);
	bpci_daemon_tree_plan_free(plan);
	if (mids) {
		/* The nodes of one packed leaf fail over within its inner daemon. */
		for (k = 0; k < TREE_RUNS; k++) {
			t0 = bench_now_s();
			rc = bpci_daemon_tree_failover(&plan, t, "leaf-03-007", NULL);
			tv[k] = bench_now_s() - t0;
			if (rc < 0)
				die("tree failover", rc);
			moves = bpci_daemon_tree_plan_count(plan);
			bpci_daemon_tree_plan_free(plan);
		}
		printf("  %-34s %10.3f ms %8zu moves\n", "failover of leaf-03-007",
		       median(tv, TREE_RUNS) * 1e3, moves);
	}
	bpci_daemon_tree_free(t);
}

static void bench_tree_place(bpci_placement_request *r, int nodes)
{
	bpci_daemon_tree *t = tree_new(10);
	const char *where;
	size_t refused = 0;
	double t0, tp;
	int i, rc;

	tree_leaves(t, 10, 0, 100);
	t0 = bench_now_s();
	for (i = 0; i < nodes; i++) {
		rc = bpci_daemon_tree_place_node(&where, t, &r[i], NULL);
		if (rc == BPCI_ELIMIT)
			refused++;
		else if (rc < 0)
			die("tree place", rc);
	}
	tp = bench_now_s() - t0;
	printf("  %-34s %10.3f s  %8zu refused (target <= 1 s for 100000)\n",
	       "place_node one by one", tp, refused);
	bpci_daemon_tree_free(t);
}

static void bench_tree(void)
{
	const char *env = getenv("PLACEMENT_BENCH_TREE_NODES");
	int place_nodes = env ? atoi(env) : 100000, nodes = 10000;
	char **ids, **pids;
	bpci_placement_request *r = make_requests(nodes, &ids), *pr;

	printf("\ndaemon tree (bpci_daemon_tree_*), median of %d runs\n", TREE_RUNS);
	printf("rebalance, %d nodes packed on 70 %% of the leaves, 30 %% empty added "
	       "(target <= 100 ms)\n", nodes);
	bench_tree_rebalance(0, 70, 100, "100 leaves under the root", r, nodes);
	bench_tree_rebalance(10, 70, 100, "1,000 leaves under 10 (3 levels)", r, nodes);
	free_requests(r, ids, nodes);
	printf("placement of %d nodes onto the 1,000-leaf tree through the tree API\n",
	       place_nodes);
	pr = make_requests(place_nodes, &pids);
	bench_tree_place(pr, place_nodes);
	free_requests(pr, pids, place_nodes);
}

int main(int argc, char **argv)
{
	/* "tree": only the daemon tree rows (quick to compare before/after). */
	int tree_only = argc > 1 && !strcmp(argv[1], "tree");

	if (!tree_only) {
		bench_place();
		bench_rebalance();
		bench_ports();
	}
	bench_tree();
	return 0;
}
