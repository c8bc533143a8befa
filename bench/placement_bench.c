/*
 * placement_bench — the plan layer's costs: placing 100,000 nodes onto
 * 1,000 daemons with each strategy, a rebalance plan for 10,000 nodes, and
 * port allocation at 10 %, 50 % and 99 % pool utilization.
 * Each figure is the median of a few runs (CLOCK_MONOTONIC).
 */
#include <bpci.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 3

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
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
			t0 = now_s();
			rc = bpci_placement_place(&plan, p, r, (size_t)nodes, 0, NULL);
			t[k] = now_s() - t0;
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
		t0 = now_s();
		if ((rc = bpci_placement_rebalance(&plan, p, NULL)) < 0)
			die("rebalance", rc);
		t[k] = now_s() - t0;
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
	t0 = now_s();
	for (i = 0; i < ops; i++) {
		j = (size_t)(rng(&seed) % n);
		bpci_port_pool_release(pool, held[j]);
		if (bpci_port_pool_allocate(&port, pool, 0) < 0)
			die("allocate", BPCI_ELIMIT);
		held[j] = port;
	}
	t = now_s() - t0;
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

int main(void)
{
	bench_place();
	bench_rebalance();
	bench_ports();
	return 0;
}
