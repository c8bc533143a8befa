/* Rebalance plans: exact moves on known cases, and a brute-force check of
 * peak and move count on tiny random clusters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "placement_test.h"

static void add_on(bpci_placement *p, const char *node, const char *need,
		   const char *labels, const char *daemon)
{
	bpci_placement_request r = pt_req(node, need, labels, NULL, NULL);

	ck_assert_int_eq(bpci_placement_add_node(p, &r, daemon, NULL), 0);
	pt_req_done(&r);
}

static double load_of(bpci_placement *p, const char *d)
{
	double l;

	ck_assert_int_eq(bpci_placement_daemon_usage(p, d, NULL, &l, NULL), 0);
	return l;
}

START_TEST(balanced_cluster_needs_no_moves)
{
	bpci_placement *p = pt_new(BPCI_LB_RESOURCE_BASED, 80);
	bpci_placement_plan *plan = NULL;

	pt_daemon(p, "a", "cpu=10", NULL, NULL, NULL, 1);
	pt_daemon(p, "b", "cpu=10", NULL, NULL, NULL, 1);
	ck_assert_int_eq(bpci_placement_rebalance(&plan, p, NULL), 0);
	ck_assert_uint_eq(bpci_placement_plan_count(plan), 0);
	bpci_placement_plan_free(plan);
	add_on(p, "n1", "cpu=2", NULL, "a");
	add_on(p, "n2", "cpu=2", NULL, "b");
	add_on(p, "n3", "cpu=1", NULL, "b");   /* moving it only swaps the peak */
	ck_assert_int_eq(bpci_placement_rebalance(&plan, p, NULL), 0);
	ck_assert_uint_eq(bpci_placement_plan_count(plan), 0);
	bpci_placement_plan_free(plan);
	bpci_placement_free(p);
}
END_TEST

START_TEST(skewed_cluster_is_evened_with_fewest_moves)
{
	bpci_placement *p = pt_new(BPCI_LB_RESOURCE_BASED, 80);
	bpci_placement_plan *plan = NULL;
	const bpci_placement_move *m;

	pt_daemon(p, "a", "cpu=10", NULL, NULL, NULL, 1);
	pt_daemon(p, "b", "cpu=10", NULL, NULL, NULL, 1);
	pt_daemon(p, "c", "cpu=10", NULL, NULL, NULL, 1);
	add_on(p, "n0", "cpu=1", NULL, "a");
	add_on(p, "n1", "cpu=1", NULL, "a");
	add_on(p, "n2", "cpu=1", NULL, "a");
	add_on(p, "n3", "cpu=1", NULL, "a");
	add_on(p, "n4", "cpu=1", NULL, "a");
	add_on(p, "n5", "cpu=1", NULL, "a");
	ck_assert_int_eq(bpci_placement_rebalance(&plan, p, NULL), 0);
	ck_assert_uint_eq(bpci_placement_plan_count(plan), 4);
	m = bpci_placement_plan_at(plan, 0);
	ck_assert_str_eq(m->node, "n0");
	ck_assert_str_eq(m->from, "a");
	ck_assert_str_eq(m->to, "b");
	ck_assert_str_eq(bpci_placement_plan_at(plan, 1)->to, "c");
	ck_assert_str_eq(bpci_placement_plan_at(plan, 2)->to, "b");
	ck_assert_str_eq(bpci_placement_plan_at(plan, 3)->to, "c");
	ck_assert_str_eq(bpci_placement_plan_at(plan, 3)->node, "n3");
	/* A plan only: nothing moved until it is applied. */
	ck_assert_double_eq_tol(load_of(p, "a"), 0.6, 1e-12);
	ck_assert_int_eq(bpci_placement_apply(p, plan, NULL), 0);
	ck_assert_double_eq_tol(load_of(p, "a"), 0.2, 1e-12);
	ck_assert_double_eq_tol(load_of(p, "b"), 0.2, 1e-12);
	ck_assert_double_eq_tol(load_of(p, "c"), 0.2, 1e-12);
	bpci_placement_plan_free(plan);
	ck_assert_int_eq(bpci_placement_rebalance(&plan, p, NULL), 0);
	ck_assert_uint_eq(bpci_placement_plan_count(plan), 0);
	bpci_placement_plan_free(plan);
	bpci_placement_free(p);
}
END_TEST

START_TEST(wasted_moves_are_taken_back)
{
	/* a and b both at 0.4; only a's nodes may move (b's need zone=b), so
	 * lowering a alone cannot lower the peak: no move is worth making. */
	bpci_placement *p = pt_new(BPCI_LB_RESOURCE_BASED, 80);
	bpci_placement_plan *plan = NULL;

	pt_daemon(p, "a", "cpu=10", NULL, NULL, NULL, 1);
	pt_daemon(p, "b", "cpu=10", "zone=b", NULL, NULL, 1);
	pt_daemon(p, "c", "cpu=10", NULL, NULL, NULL, 1);
	add_on(p, "a1", "cpu=2", NULL, "a");
	add_on(p, "a2", "cpu=2", NULL, "a");
	add_on(p, "b1", "cpu=2", "zone=b", "b");
	add_on(p, "b2", "cpu=2", "zone=b", "b");
	ck_assert_int_eq(bpci_placement_rebalance(&plan, p, NULL), 0);
	ck_assert_uint_eq(bpci_placement_plan_count(plan), 0);
	bpci_placement_plan_free(plan);
	bpci_placement_free(p);
}
END_TEST

START_TEST(rebalance_respects_constraints)
{
	bpci_placement *p = pt_new(BPCI_LB_RESOURCE_BASED, 80);
	bpci_placement_plan *plan = NULL;
	const bpci_placement_move *m;
	size_t i;

	pt_daemon(p, "eu-1", "cpu=10", "jurisdiction=EU", NULL, NULL, 1);
	pt_daemon(p, "us-1", "cpu=10", "jurisdiction=US", NULL, NULL, 1);
	pt_daemon(p, "eu-2", "cpu=10", "jurisdiction=EU", NULL, NULL, 1);
	pt_daemon(p, "sick", "cpu=10", "jurisdiction=EU", NULL, NULL, 0);
	add_on(p, "e1", "cpu=2", "jurisdiction=EU", "eu-1");
	add_on(p, "e2", "cpu=2", "jurisdiction=EU", "eu-1");
	add_on(p, "e3", "cpu=2", "jurisdiction=EU", "eu-1");
	add_on(p, "e4", "cpu=2", "jurisdiction=EU", "eu-1");
	ck_assert_int_eq(bpci_placement_rebalance(&plan, p, NULL), 0);
	ck_assert_uint_eq(bpci_placement_plan_count(plan), 2);
	for (i = 0; i < 2; i++) {
		m = bpci_placement_plan_at(plan, i);
		ck_assert_str_eq(m->from, "eu-1");
		ck_assert_str_eq(m->to, "eu-2");
	}
	bpci_placement_plan_free(plan);
	bpci_placement_free(p);
}
END_TEST

/* ---- brute force ---- */

#define BF_D 3
#define BF_N 6

typedef struct bf_case {
	unsigned int ncap[BF_D], ndaemons, nnodes;
	unsigned int need[BF_N], mem[BF_N];
	int eu_only[BF_N];
	unsigned int start[BF_N];
} bf_case;

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* Daemon 1 is labelled US, the others EU; caps in cores, memory in Gi. */
static int bf_valid(const bf_case *c, const unsigned int *as, double *peak)
{
	uint64_t cpu[BF_D] = {0}, mem[BF_D] = {0};
	unsigned int i, d;
	double u, x;

	for (i = 0; i < c->nnodes; i++) {
		if (c->eu_only[i] && as[i] == 1)
			return 0;
		cpu[as[i]] += c->need[i] * 1000ull;
		mem[as[i]] += (uint64_t)c->mem[i] << 30;
	}
	*peak = 0;
	for (d = 0; d < c->ndaemons; d++) {
		uint64_t capc = c->ncap[d] * 1000ull, capm = (uint64_t)c->ncap[d] << 30;

		if (cpu[d] > capc / 100 * 80 + capc % 100 * 80 / 100 ||
		    mem[d] > capm / 100 * 80 + capm % 100 * 80 / 100)
			return 0;
		u = (double)cpu[d] * (1.0 / (double)capc);
		x = (double)mem[d] * (1.0 / (double)capm);
		if (x > u)
			u = x;
		if (u > *peak)
			*peak = u;
	}
	return 1;
}

/* Least peak over every valid assignment, then fewest moved nodes. */
static void bf_best(const bf_case *c, double *best_peak, unsigned int *best_moves)
{
	unsigned int as[BF_N], i, moves;
	unsigned long k, total = 1;
	double peak;

	for (i = 0; i < c->nnodes; i++)
		total *= c->ndaemons;
	*best_peak = 1e9;
	*best_moves = 99;
	for (k = 0; k < total; k++) {
		unsigned long v = k;

		for (i = 0, moves = 0; i < c->nnodes; i++, v /= c->ndaemons) {
			as[i] = (unsigned int)(v % c->ndaemons);
			moves += as[i] != c->start[i];
		}
		if (!bf_valid(c, as, &peak))
			continue;
		if (peak < *best_peak - 1e-12) {
			*best_peak = peak;
			*best_moves = moves;
		} else if (peak < *best_peak + 1e-12 && moves < *best_moves) {
			*best_moves = moves;
		}
	}
}

/* Fill daemon 0 first (then 2, then 1), each within the ceiling. */
static int bf_make(bf_case *c, uint64_t *seed)
{
	static const unsigned int order[BF_D] = {0, 2, 1};
	unsigned int as[BF_N], i, k;
	double peak;

	c->ndaemons = 2 + (unsigned int)(rng_next(seed) % 2);
	c->nnodes = 3 + (unsigned int)(rng_next(seed) % 4);
	for (i = 0; i < c->ndaemons; i++)
		c->ncap[i] = 8 + (unsigned int)(rng_next(seed) % 8);
	for (i = 0; i < c->nnodes; i++) {
		c->need[i] = 1 + (unsigned int)(rng_next(seed) % 3);
		c->mem[i] = (unsigned int)(rng_next(seed) % 3);
		c->eu_only[i] = rng_next(seed) % 3 == 0;
		as[i] = 0;
	}
	for (i = 0; i < c->nnodes; i++) {
		bf_case first = *c;   /* only the nodes placed so far */

		first.nnodes = i + 1;
		for (k = 0; k < c->ndaemons; k++) {
			if (order[k] >= c->ndaemons)
				continue;
			as[i] = order[k];
			if (bf_valid(&first, as, &peak))
				break;
		}
		if (k == c->ndaemons)
			return 0;
	}
	memcpy(c->start, as, sizeof(as));
	return 1;
}

static void bf_check(const bf_case *c, int *matched)
{
	bpci_placement *p = pt_new(BPCI_LB_RESOURCE_BASED, 80);
	bpci_placement_plan *plan = NULL;
	char cap[48], need[48], id[16], did[16];
	double want_peak, peak = 0, l;
	unsigned int want_moves, i;

	for (i = 0; i < c->ndaemons; i++) {
		snprintf(cap, sizeof(cap), "cpu=%u,memory=%uGi", c->ncap[i], c->ncap[i]);
		snprintf(did, sizeof(did), "d%u", i);
		pt_daemon(p, did, cap, i == 1 ? "j=US" : "j=EU", NULL, NULL, 1);
	}
	for (i = 0; i < c->nnodes; i++) {
		snprintf(need, sizeof(need), "cpu=%u,memory=%uGi", c->need[i], c->mem[i]);
		snprintf(id, sizeof(id), "n%u", i);
		snprintf(did, sizeof(did), "d%u", c->start[i]);
		add_on(p, id, need, c->eu_only[i] ? "j=EU" : NULL, did);
	}
	ck_assert_int_eq(bpci_placement_rebalance(&plan, p, NULL), 0);
	ck_assert_int_eq(bpci_placement_apply(p, plan, NULL), 0);   /* constraints hold */
	for (i = 0; i < c->ndaemons; i++) {
		snprintf(did, sizeof(did), "d%u", i);
		l = load_of(p, did);
		peak = l > peak ? l : peak;
	}
	bf_best(c, &want_peak, &want_moves);
	/* Never better than the optimum (else the brute force is wrong). */
	ck_assert_msg(peak >= want_peak - 1e-12, "peak %g below optimum %g", peak, want_peak);
	if (peak < want_peak + 1e-12 && bpci_placement_plan_count(plan) == want_moves)
		(*matched)++;
	else if (getenv("BPCI_TEST_VERBOSE")) {
		fprintf(stderr, "greedy: peak %g moves %zu; optimum: peak %g moves %u\n", peak,
			bpci_placement_plan_count(plan), want_peak, want_moves);
		for (i = 0; i < c->ndaemons; i++)
			fprintf(stderr, "  d%u cap %u\n", i, c->ncap[i]);
		for (i = 0; i < c->nnodes; i++)
			fprintf(stderr, "  n%u cpu %u mem %u %s on d%u\n", i, c->need[i], c->mem[i],
				c->eu_only[i] ? "EU" : "", c->start[i]);
		for (i = 0; i < bpci_placement_plan_count(plan); i++)
			fprintf(stderr, "  move %s %s -> %s\n", bpci_placement_plan_at(plan, i)->node,
				bpci_placement_plan_at(plan, i)->from,
				bpci_placement_plan_at(plan, i)->to);
	}
	bpci_placement_plan_free(plan);
	bpci_placement_free(p);
}

START_TEST(greedy_matches_brute_force_on_tiny_clusters)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	int cases = 0, matched = 0;
	bf_case c;

	while (cases < 200) {
		memset(&c, 0, sizeof(c));
		if (!bf_make(&c, &seed))
			continue;
		bf_check(&c, &matched);
		cases++;
	}
	/* Optimal rebalancing is NP-hard (it contains bin packing). Greedy
	 * moves, then swaps when moves are stuck, reach the optimum (least
	 * peak, then fewest moves) on 173 of these 200 clusters (161 with
	 * moves alone, 172 before moved nodes were sent back where they could
	 * go); in the rest, 18 end at a higher peak (they need chains of three
	 * or more moves, or a worse first step) and 9 use more moves. The
	 * floor catches regressions; raise it when the search improves. BPCI_TEST_VERBOSE=1 prints the misses. */
	ck_assert_msg(matched >= 173, "greedy matched the optimum on %d of %d", matched, cases);
}
END_TEST

void pt_add_rebalance_tests(Suite *s)
{
	TCase *tc = tcase_create("rebalance");

	tcase_add_test(tc, balanced_cluster_needs_no_moves);
	tcase_add_test(tc, skewed_cluster_is_evened_with_fewest_moves);
	tcase_add_test(tc, wasted_moves_are_taken_back);
	tcase_add_test(tc, rebalance_respects_constraints);
	tcase_add_test(tc, greedy_matches_brute_force_on_tiny_clusters);
	suite_add_tcase(s, tc);
}
