/* load_balancing domains (placement under a daemon, rebalance per domain,
 * moves never leaving a domain) and fault_recovery scopes (failover by the
 * nearest fault_recovery ancestor, then the next, up to the root). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpci.h>
#include <bpci/daemon_tree.h>

#include "dt_test.h"

/* Add remote daemon @id under @parent (NULL: a new tree's root, into *@t). */
static void add(bpci_daemon_tree **t, const char *id, const char *parent, const char *cap,
		const char *resp)
{
	bpci_daemon_spec *s = NULL;

	ck_assert_int_eq(bpci_daemon_spec_new(&s), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(s, "id", id, NULL), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(s, "responsibilities", resp, NULL), 0);
	if (cap)
		ck_assert_int_eq(bpci_daemon_spec_set(s, "capacity", cap, NULL), 0);
	if (parent) {
		ck_assert_int_eq(bpci_daemon_spec_set(s, "parent", parent, NULL), 0);
		ck_assert_int_eq(bpci_daemon_spec_set(s, "remote", "true", NULL), 0);
		ck_assert_int_eq(bpci_daemon_tree_add(*t, s, NULL), 0);
	} else {
		ck_assert_int_eq(bpci_daemon_tree_new(t, s, 4, NULL, NULL), 0);
	}
	bpci_daemon_spec_free(s);
}

/* Record node @id (cpu @cpu) on @daemon, belonging to @domain. */
static void rec(bpci_daemon_tree *t, const char *id, const char *cpu, const char *daemon,
		const char *domain)
{
	bpci_placement_request req = BPCI_PLACEMENT_REQUEST_INIT;

	req.id = id;
	ck_assert_int_eq(bpci_resources_parse(&req.need, cpu, NULL), 0);
	ck_assert_int_eq(bpci_daemon_tree_add_node(t, &req, daemon, NULL), 0);
	if (domain)
		ck_assert_int_eq(bpci_daemon_tree_set_node_domain(t, id, domain, NULL), 0);
}

/*
 * root (lb, fr: hosts nothing)
 * |-- mid (lb, fr)           |-- c (lifecycle, 10 cpu)
 * |   |-- a (lifecycle, 10)  `-- plain (lifecycle only: no lb, no fr)
 * |   `-- b (lifecycle, 10)      `-- e (lifecycle, 10)
 */
static bpci_daemon_tree *domains(void)
{
	bpci_daemon_tree *t = NULL;

	add(&t, "root", NULL, "cpu=100", "load_balancing,fault_recovery");
	add(&t, "mid", "root", "cpu=100", "load_balancing,fault_recovery");
	add(&t, "a", "mid", "cpu=10", "node_lifecycle");
	add(&t, "b", "mid", "cpu=10", "node_lifecycle");
	add(&t, "c", "root", "cpu=10", "node_lifecycle");
	add(&t, "plain", "root", "cpu=10", "resource_coordination");
	add(&t, "e", "plain", "cpu=10", "node_lifecycle");
	return t;
}

static char *plan_json(const bpci_daemon_tree_plan *p)
{
	char *j = NULL;

	ck_assert_int_eq(bpci_daemon_tree_plan_to_json(&j, p), 0);
	return j;
}

/* Place @id (cpu @cpu) under @under; returns the daemon or the rc as text. */
static const char *place(bpci_daemon_tree *t, const char *id, const char *cpu,
			 const char *under, bpci_diag *d)
{
	static char buf[32];
	bpci_placement_request req = BPCI_PLACEMENT_REQUEST_INIT;
	const char *where = NULL;
	int rc;

	req.id = id;
	ck_assert_int_eq(bpci_resources_parse(&req.need, cpu, NULL), 0);
	rc = bpci_daemon_tree_place_node_under(&where, t, &req, under, d);
	if (rc == 0)
		return where;
	snprintf(buf, sizeof(buf), "rc %d", rc);
	return buf;
}

START_TEST(place_under_a_domain_stays_in_its_subtree)
{
	bpci_daemon_tree *t = domains();
	bpci_diag *d = NULL;
	char rcbuf[32];

	bpci_diag_new(&d);
	/* Best fit within mid's subtree: a until full, then b; never c or e. */
	ck_assert_str_eq(place(t, "n1", "cpu=4", "mid", d), "a");
	ck_assert_str_eq(place(t, "n2", "cpu=4", "mid", d), "a");
	ck_assert_str_eq(place(t, "n3", "cpu=4", "mid", d), "b");
	ck_assert_str_eq(place(t, "n4", "cpu=4", "mid", d), "b");
	snprintf(rcbuf, sizeof(rcbuf), "rc %d", BPCI_ELIMIT);
	ck_assert_str_eq(place(t, "n5", "cpu=4", "mid", d), rcbuf);
	/* The refusal names the subtree's daemons only. */
	ck_assert_ptr_nonnull(strstr(bpci_diag_get(d, 0)->message, "\"n5\""));
	ck_assert_ptr_nonnull(strstr(bpci_diag_get(d, 0)->message, "b: cpu 0 free of 10"));
	ck_assert_ptr_null(strstr(bpci_diag_get(d, 0)->message, " c: "));
	ck_assert_ptr_null(strstr(bpci_diag_get(d, 0)->message, " e: "));
	ck_assert_ptr_null(bpci_daemon_tree_node_daemon(t, "n5"));
	/* The root's domain has room elsewhere. */
	ck_assert_str_eq(place(t, "n5", "cpu=4", NULL, NULL), "c");
	ck_assert_str_eq(place(t, "n6", "cpu=1", "root", NULL), "c");
	ck_assert_str_eq(bpci_daemon_tree_node_domain(t, "n1"), "mid");
	ck_assert_str_eq(bpci_daemon_tree_node_domain(t, "n4"), "mid");
	ck_assert_str_eq(bpci_daemon_tree_node_domain(t, "n5"), "root");
	ck_assert_str_eq(bpci_daemon_tree_node_domain(t, "n6"), "root");
	ck_assert_ptr_null(bpci_daemon_tree_node_domain(t, "nope"));
	bpci_diag_free(d);
	bpci_daemon_tree_free(t);
}
END_TEST

START_TEST(place_under_refuses_a_daemon_without_load_balancing)
{
	bpci_daemon_tree *t = domains();
	bpci_diag *d = NULL;
	char rcbuf[32];

	bpci_diag_new(&d);
	snprintf(rcbuf, sizeof(rcbuf), "rc %d", BPCI_EINVAL);
	ck_assert_str_eq(place(t, "n1", "cpu=1", "plain", d), rcbuf);
	ck_assert_str_eq(bpci_diag_get(d, 0)->field, "under");
	ck_assert_ptr_nonnull(strstr(bpci_diag_get(d, 0)->message, "\"plain\""));
	ck_assert_ptr_nonnull(strstr(bpci_diag_get(d, 0)->message, "load_balancing"));
	snprintf(rcbuf, sizeof(rcbuf), "rc %d", BPCI_ENOTFOUND);
	ck_assert_str_eq(place(t, "n1", "cpu=1", "ghost", d), rcbuf);
	ck_assert_str_eq(bpci_diag_get(d, 1)->field, "under");
	ck_assert_ptr_nonnull(strstr(bpci_diag_get(d, 1)->message, "\"ghost\""));
	ck_assert_ptr_null(bpci_daemon_tree_node_daemon(t, "n1"));
	ck_assert_int_eq(bpci_daemon_tree_check_domain(t, "mid", NULL), 0);
	ck_assert_int_eq(bpci_daemon_tree_check_domain(t, "root", NULL), 0);
	ck_assert_int_eq(bpci_daemon_tree_check_domain(t, NULL, NULL), 0);
	ck_assert_int_eq(bpci_daemon_tree_check_domain(t, "e", NULL), BPCI_EINVAL);
	bpci_diag_free(d);
	bpci_daemon_tree_free(t);
}
END_TEST

/* n1 (4), n2 (2) of mid on a; r1 (6), r2 (2) of the root on c. */
static bpci_daemon_tree *loaded(void)
{
	bpci_daemon_tree *t = domains();

	rec(t, "n1", "cpu=4", "a", "mid");
	rec(t, "n2", "cpu=2", "a", "mid");
	rec(t, "r1", "cpu=6", "c", NULL);
	rec(t, "r2", "cpu=2", "c", NULL);
	return t;
}

START_TEST(rebalance_each_domain_innermost_first)
{
	bpci_daemon_tree *t = loaded();
	bpci_daemon_tree_plan *p = NULL;
	bpci_diag *d = NULL;
	char *j;

	/* mid first: n2 to the emptier b (a 40 %, b 20 %); then the root's
	 * domain, where n1 and n2 are fixed load: r2 to the empty e. */
	ck_assert_int_eq(bpci_daemon_tree_rebalance(&p, t, NULL), 0);
	j = plan_json(p);
	ck_assert_str_eq(j, "{\"steps\":[{\"action\":\"move_node\",\"from\":\"a\",\"node\":\"n2\","
			    "\"to\":\"b\"},{\"action\":\"move_node\",\"from\":\"c\",\"node\":"
			    "\"r2\",\"to\":\"e\"}]}");
	free(j);
	ck_assert_int_eq(bpci_daemon_tree_apply(t, p, NULL), 0);
	ck_assert_str_eq(bpci_daemon_tree_node_daemon(t, "n2"), "b");
	ck_assert_str_eq(bpci_daemon_tree_node_daemon(t, "r2"), "e");
	bpci_daemon_tree_plan_free(p);
	/* One domain only. */
	bpci_daemon_tree_free(t);
	t = loaded();
	ck_assert_int_eq(bpci_daemon_tree_rebalance_under(&p, t, "mid", NULL), 0);
	ck_assert_uint_eq(bpci_daemon_tree_plan_count(p), 1);
	ck_assert_str_eq(bpci_daemon_tree_plan_at(p, 0)->subject, "n2");
	ck_assert_str_eq(bpci_daemon_tree_plan_at(p, 0)->to, "b");
	ck_assert_ptr_null(bpci_daemon_tree_plan_at(p, 0)->by);
	bpci_daemon_tree_plan_free(p);
	bpci_diag_new(&d);
	p = NULL;
	ck_assert_int_eq(bpci_daemon_tree_rebalance_under(&p, t, "plain", d), BPCI_EINVAL);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(bpci_diag_get(d, 0)->field, "under");
	bpci_diag_free(d);
	bpci_daemon_tree_free(t);
}
END_TEST

START_TEST(moves_never_leave_the_domain)
{
	bpci_daemon_tree *t = loaded();
	bpci_daemon_tree_plan *p = NULL;
	bpci_diag *d = NULL;
	const char *out = "{\"steps\":[{\"action\":\"move_node\",\"node\":\"n1\",\"from\":\"a\","
			  "\"to\":\"e\"}]}";
	const char *in = "{\"steps\":[{\"action\":\"move_node\",\"node\":\"n1\",\"from\":\"a\","
			 "\"to\":\"b\"},{\"action\":\"move_node\",\"node\":\"r2\",\"from\":\"c\","
			 "\"to\":\"a\"}]}";

	bpci_diag_new(&d);
	ck_assert_int_eq(bpci_daemon_tree_plan_parse(&p, out, strlen(out), NULL), 0);
	ck_assert_int_eq(bpci_daemon_tree_apply(t, p, d), BPCI_ELIMIT);
	ck_assert_str_eq(bpci_diag_get(d, 0)->field, "to");
	ck_assert_ptr_nonnull(strstr(bpci_diag_get(d, 0)->message, "\"mid\""));
	ck_assert_ptr_nonnull(strstr(bpci_diag_get(d, 0)->message, "\"e\""));
	ck_assert_str_eq(bpci_daemon_tree_node_daemon(t, "n1"), "a");
	bpci_daemon_tree_plan_free(p);
	/* Within mid, and a root node into mid's subtree (the root's domain
	 * is the whole tree): both fine. */
	ck_assert_int_eq(bpci_daemon_tree_plan_parse(&p, in, strlen(in), NULL), 0);
	ck_assert_int_eq(bpci_daemon_tree_apply(t, p, NULL), 0);
	ck_assert_str_eq(bpci_daemon_tree_node_daemon(t, "n1"), "b");
	ck_assert_str_eq(bpci_daemon_tree_node_daemon(t, "r2"), "a");
	bpci_daemon_tree_plan_free(p);
	bpci_diag_free(d);
	bpci_daemon_tree_free(t);
}
END_TEST

START_TEST(domain_survives_json_and_old_files_are_the_roots)
{
	bpci_daemon_tree *t = loaded(), *back = NULL;
	char *j = NULL, *k = NULL, *old, *at;

	ck_assert_int_eq(bpci_daemon_tree_to_json(&j, t), 0);
	ck_assert_ptr_nonnull(strstr(j, "\"domain\":\"mid\""));
	ck_assert_int_eq(bpci_daemon_tree_from_json(&back, j, strlen(j), NULL), 0);
	ck_assert_str_eq(bpci_daemon_tree_node_domain(back, "n1"), "mid");
	ck_assert_str_eq(bpci_daemon_tree_node_domain(back, "r1"), "root");
	ck_assert_int_eq(bpci_daemon_tree_to_json(&k, back), 0);
	ck_assert_str_eq(j, k);
	bpci_daemon_tree_free(back);
	back = NULL;
	/* A file written before domains: every node is the root's. */
	old = strdup(j);
	while ((at = strstr(old, ",\"domain\":\"mid\"")) != NULL)
		memmove(at, at + 15, strlen(at + 15) + 1);
	ck_assert_ptr_null(strstr(old, "domain"));
	ck_assert_int_eq(bpci_daemon_tree_from_json(&back, old, strlen(old), NULL), 0);
	ck_assert_str_eq(bpci_daemon_tree_node_domain(back, "n1"), "root");
	free(old);
	bpci_free(j);
	bpci_free(k);
	bpci_daemon_tree_free(back);
	bpci_daemon_tree_free(t);
}
END_TEST

/*
 * root (fr, hosts nothing)
 * |-- mid (fr)              |-- c (lifecycle, 10)
 * |   |-- x (lifecycle, 10) `-- plain (no fr)
 * |   `-- y (lifecycle, 10)     |-- z (lifecycle, 10)
 *                               `-- w (lifecycle, 10)
 */
static bpci_daemon_tree *recovery(void)
{
	bpci_daemon_tree *t = NULL;

	add(&t, "root", NULL, "cpu=100", "fault_recovery");
	add(&t, "mid", "root", "cpu=100", "fault_recovery");
	add(&t, "x", "mid", "cpu=10", "node_lifecycle");
	add(&t, "y", "mid", "cpu=10", "node_lifecycle");
	add(&t, "c", "root", "cpu=10", "node_lifecycle");
	add(&t, "plain", "root", "cpu=10", "resource_coordination");
	add(&t, "z", "plain", "cpu=10", "node_lifecycle");
	add(&t, "w", "plain", "cpu=10", "node_lifecycle");
	return t;
}

START_TEST(failover_by_the_nearest_fault_recovery_ancestor)
{
	bpci_daemon_tree *t = recovery();
	bpci_daemon_tree_plan *p = NULL;
	char *j, *before = NULL, *after = NULL;

	rec(t, "f1", "cpu=4", "x", NULL);
	rec(t, "f2", "cpu=4", "x", NULL);
	rec(t, "f3", "cpu=4", "x", NULL);
	ck_assert_str_eq(bpci_daemon_tree_recovery_daemon(t, "x"), "mid");
	ck_assert_str_eq(bpci_daemon_tree_recovery_daemon(t, "z"), "root");
	ck_assert_str_eq(bpci_daemon_tree_recovery_daemon(t, "mid"), "root");
	ck_assert_ptr_null(bpci_daemon_tree_recovery_daemon(t, "root"));
	ck_assert_ptr_null(bpci_daemon_tree_recovery_daemon(t, "ghost"));
	ck_assert_int_eq(bpci_daemon_tree_to_json(&before, t), 0);
	/* y takes two within mid's subtree; the third goes to the root's. */
	ck_assert_int_eq(bpci_daemon_tree_failover(&p, t, "x", NULL), 0);
	j = plan_json(p);
	ck_assert_str_eq(j, "{\"steps\":[{\"action\":\"move_node\",\"by\":\"mid\",\"from\":\"x\","
			    "\"node\":\"f1\",\"to\":\"y\"},{\"action\":\"move_node\",\"by\":"
			    "\"mid\",\"from\":\"x\",\"node\":\"f2\",\"to\":\"y\"},{\"action\":"
			    "\"move_node\",\"by\":\"root\",\"from\":\"x\",\"node\":\"f3\","
			    "\"to\":\"c\"}]}");
	ck_assert_int_eq(bpci_daemon_tree_to_json(&after, t), 0);
	ck_assert_str_eq(before, after); /* a plan: the tree is unchanged */
	bpci_daemon_tree_plan_free(p);
	/* The plan round-trips with its "by". */
	ck_assert_int_eq(bpci_daemon_tree_plan_parse(&p, j, strlen(j), NULL), 0);
	ck_assert_str_eq(bpci_daemon_tree_plan_at(p, 2)->by, "root");
	ck_assert_str_eq(bpci_daemon_tree_plan_at(p, 0)->by, "mid");
	bpci_daemon_tree_plan_free(p);
	free(j);
	bpci_free(before);
	bpci_free(after);
	bpci_daemon_tree_free(t);
}
END_TEST

START_TEST(failover_without_fault_recovery_ancestor_is_the_roots)
{
	bpci_daemon_tree *t = recovery();
	bpci_daemon_tree_plan *p = NULL;
	bpci_diag *d = NULL;

	/* z's parent has no fault_recovery: the root acts, over the whole
	 * tree; best fit puts g1 on x (the fullest that fits), not on w. */
	rec(t, "f1", "cpu=4", "x", NULL);
	rec(t, "g1", "cpu=1", "z", NULL);
	ck_assert_int_eq(bpci_daemon_tree_failover(&p, t, "z", NULL), 0);
	ck_assert_uint_eq(bpci_daemon_tree_plan_count(p), 1);
	ck_assert_str_eq(bpci_daemon_tree_plan_at(p, 0)->subject, "g1");
	ck_assert_str_eq(bpci_daemon_tree_plan_at(p, 0)->to, "x");
	ck_assert_str_eq(bpci_daemon_tree_plan_at(p, 0)->by, "root");
	bpci_daemon_tree_plan_free(p);
	p = NULL;
	/* A node that fits nowhere is refused with the reason; others move. */
	rec(t, "big", "cpu=20", "w", NULL);
	rec(t, "g2", "cpu=1", "w", NULL);
	bpci_diag_new(&d);
	ck_assert_int_eq(bpci_daemon_tree_failover(&p, t, "w", d), BPCI_ELIMIT);
	ck_assert_uint_eq(bpci_daemon_tree_plan_count(p), 1);
	ck_assert_str_eq(bpci_daemon_tree_plan_at(p, 0)->subject, "g2");
	ck_assert_ptr_nonnull(strstr(bpci_diag_get(d, 0)->message, "\"big\""));
	bpci_daemon_tree_plan_free(p);
	p = NULL;
	ck_assert_int_eq(bpci_daemon_tree_failover(&p, t, "root", NULL), BPCI_EINVAL);
	ck_assert_int_eq(bpci_daemon_tree_failover(&p, t, "ghost", NULL), BPCI_ENOTFOUND);
	ck_assert_ptr_null(p);
	bpci_diag_free(d);
	bpci_daemon_tree_free(t);
}
END_TEST

START_TEST(failover_skips_daemons_that_are_down)
{
	bpci_daemon_tree *t = recovery();
	bpci_daemon_live l = BPCI_DAEMON_LIVE_INIT;
	bpci_daemon_tree_plan *p = NULL;

	rec(t, "f1", "cpu=4", "x", "root");
	l.state = "failed";
	ck_assert_int_eq(bpci_daemon_tree_set_live(t, "y", &l, NULL), 0);
	/* y, mid's only other daemon, is down: the root acts. */
	ck_assert_int_eq(bpci_daemon_tree_failover(&p, t, "x", NULL), 0);
	ck_assert_uint_eq(bpci_daemon_tree_plan_count(p), 1);
	ck_assert_str_eq(bpci_daemon_tree_plan_at(p, 0)->to, "c");
	ck_assert_str_eq(bpci_daemon_tree_plan_at(p, 0)->by, "root");
	bpci_daemon_tree_plan_free(p);
	bpci_daemon_tree_free(t);
}
END_TEST

void dt_add_domain_tests(Suite *s)
{
	TCase *tc = tcase_create("domains");

	tcase_add_test(tc, place_under_a_domain_stays_in_its_subtree);
	tcase_add_test(tc, place_under_refuses_a_daemon_without_load_balancing);
	tcase_add_test(tc, rebalance_each_domain_innermost_first);
	tcase_add_test(tc, moves_never_leave_the_domain);
	tcase_add_test(tc, domain_survives_json_and_old_files_are_the_roots);
	tcase_add_test(tc, failover_by_the_nearest_fault_recovery_ancestor);
	tcase_add_test(tc, failover_without_fault_recovery_ancestor_is_the_roots);
	tcase_add_test(tc, failover_skips_daemons_that_are_down);
	suite_add_tcase(s, tc);
}
