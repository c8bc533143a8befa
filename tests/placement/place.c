/* Placement: each strategy's exact choices, the hard constraints, refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "placement_test.h"

/* Place n nodes "n0".."n{n-1}" needing @need; check the daemons in order. */
static void expect_sequence(bpci_placement *p, const char *need, const char *const *want,
			    size_t n)
{
	char id[16];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "n%zu", i);
		ck_assert_msg(pt_place(p, id, need, NULL) != NULL, "%s refused", id);
		ck_assert_msg(strcmp(bpci_placement_node_daemon(p, id), want[i]) == 0,
			      "%s went to %s, expected %s", id,
			      bpci_placement_node_daemon(p, id), want[i]);
	}
}

START_TEST(round_robin_rotates_and_skips_full)
{
	bpci_placement *p = pt_new(BPCI_LB_ROUND_ROBIN, 80);
	static const char *const want[] = {"a", "b", "c", "a", "c", "a", "c"};

	pt_daemon(p, "a", "cpu=10", NULL, NULL, NULL, 1);
	pt_daemon(p, "b", "cpu=2", NULL, NULL, NULL, 1);   /* 1.6 cores allowed: one node */
	pt_daemon(p, "c", "cpu=10", NULL, NULL, NULL, 1);
	expect_sequence(p, "cpu=1", want, 7);
	bpci_placement_free(p);
}
END_TEST

START_TEST(weighted_round_robin_is_proportional)
{
	bpci_placement *p = pt_new(BPCI_LB_WEIGHTED_ROUND_ROBIN, 80);
	bpci_placement_daemon_state st = BPCI_PLACEMENT_DAEMON_STATE_INIT;
	static const char *const want[] = {"a", "a", "a", "b", "a", "a", "a", "b"};

	st.weight = 3;
	pt_daemon_state(p, "a", "cpu=100", NULL, NULL, st);
	st.weight = 1;
	pt_daemon_state(p, "b", "cpu=100", NULL, NULL, st);
	expect_sequence(p, "cpu=1", want, 8);
	bpci_placement_free(p);
}
END_TEST

START_TEST(least_connections_counts_placed_nodes)
{
	bpci_placement *p = pt_new(BPCI_LB_LEAST_CONNECTIONS, 80);
	bpci_placement_daemon_state st = BPCI_PLACEMENT_DAEMON_STATE_INIT;
	static const char *const want[] = {"b", "b", "b", "c", "b"};

	st.connections = 5;
	pt_daemon_state(p, "a", "cpu=100", NULL, NULL, st);
	st.connections = 0;
	pt_daemon_state(p, "b", "cpu=100", NULL, NULL, st);
	st.connections = 2;
	pt_daemon_state(p, "c", "cpu=100", NULL, NULL, st);
	expect_sequence(p, "cpu=1", want, 5);
	bpci_placement_free(p);
}
END_TEST

START_TEST(resource_based_packs_fullest_first)
{
	bpci_placement *p = pt_new(BPCI_LB_RESOURCE_BASED, 80);
	bpci_placement_daemon_state st = BPCI_PLACEMENT_DAEMON_STATE_INIT;
	static const char *const want[] = {"b", "b", "b", "b", "b", "b", "a", "a"};
	bpci_resources r;
	double load;
	size_t nodes;

	pt_daemon_state(p, "a", "memory=10Gi", NULL, NULL, st);
	ck_assert_int_eq(bpci_resources_parse(&st.reserved, "memory=2Gi", NULL), 0);
	pt_daemon_state(p, "b", "memory=10Gi", NULL, NULL, st);
	expect_sequence(p, "memory=1Gi", want, 8);
	ck_assert_int_eq(bpci_placement_daemon_usage(p, "b", &r, &load, &nodes), 0);
	ck_assert_uint_eq(r.memory_bytes, 8ull << 30);
	ck_assert_double_eq_tol(load, 0.8, 1e-12);
	ck_assert_uint_eq(nodes, 6);
	ck_assert_int_eq(bpci_placement_daemon_usage(p, "zz", NULL, NULL, NULL), BPCI_ENOTFOUND);
	bpci_placement_free(p);
}
END_TEST

START_TEST(adaptive_spreads_by_measured_load)
{
	bpci_placement *p = pt_new(BPCI_LB_ADAPTIVE, 80);
	bpci_placement_daemon_state st = BPCI_PLACEMENT_DAEMON_STATE_INIT;
	static const char *const want[] = {"c", "c", "b", "b", "b"};

	st.load = 0.5;
	pt_daemon_state(p, "a", "cpu=10", NULL, NULL, st);
	st.load = 0.15;
	pt_daemon_state(p, "b", "cpu=10", NULL, NULL, st);
	st.load = 0.0;
	pt_daemon_state(p, "c", "cpu=10", NULL, NULL, st);
	expect_sequence(p, "cpu=1", want, 5);
	bpci_placement_free(p);
}
END_TEST

START_TEST(ceiling_is_exact_at_the_boundary)
{
	bpci_placement *p = pt_new(BPCI_LB_RESOURCE_BASED, 80);
	bpci_placement *q = pt_new(BPCI_LB_RESOURCE_BASED, 100);
	bpci_resources r;
	char *why = NULL;

	/* 80 % of 16Gi is 13743895347.2 bytes: 13743895347 fits, one more not. */
	pt_daemon(p, "d", "memory=16Gi,cpu=10", NULL, NULL, NULL, 1);
	ck_assert_ptr_null(pt_place(p, "big", "memory=13743895348B", &why));
	ck_assert_contains(why, "d: memory 13743895347B free of 16Gi at the 80% ceiling, "
				"needs 13743895348B");
	free(why);
	ck_assert_str_eq(pt_place(p, "fits", "memory=13743895347B", NULL), "d");
	ck_assert_ptr_null(pt_place(p, "one-more", "memory=1B", NULL));
	/* cpu: exactly 8 of 10 cores; 8001m refused. */
	ck_assert_str_eq(pt_place(p, "c8", "cpu=8", NULL), "d");
	ck_assert_ptr_null(pt_place(p, "c1", "cpu=1m", &why));
	ck_assert_contains(why, "cpu 0 free of 10 at the 80% ceiling, needs 0.001");
	free(why);
	ck_assert_int_eq(bpci_placement_daemon_usage(p, "d", &r, NULL, NULL), 0);
	ck_assert_uint_eq(r.cpu_millicores, 8000);
	ck_assert_uint_eq(r.memory_bytes, 13743895347ull);
	ck_assert_uint_eq(bpci_placement_node_count(p), 2);
	/* The ceiling is configurable: at 100 % all of it. */
	pt_daemon(q, "d", "cpu=10", NULL, NULL, NULL, 1);
	ck_assert_str_eq(pt_place(q, "all", "cpu=10", NULL), "d");
	ck_assert_ptr_null(pt_place(q, "more", "cpu=1m", NULL));
	/* A zero need fits even on a full daemon. */
	ck_assert_str_eq(pt_place(q, "zero", "", NULL), "d");
	bpci_placement_free(p);
	bpci_placement_free(q);
}
END_TEST

/* Place @r (one request) and return the plan's line 0 target (copied). */
static char *place_req(bpci_placement *p, bpci_placement_request *r, char **why)
{
	bpci_placement_plan *plan = NULL;
	const bpci_placement_move *m;
	char *to = NULL;
	int rc = bpci_placement_place(&plan, p, r, 1, 0, NULL);

	ck_assert_msg(rc == 0 || rc == BPCI_ELIMIT, "rc=%d", rc);
	m = bpci_placement_plan_at(plan, 0);
	if (m->to)
		to = strdup(m->to);
	if (why)
		*why = m->reason ? strdup(m->reason) : NULL;
	bpci_placement_plan_free(plan);
	pt_req_done(r);
	return to;
}

START_TEST(labels_and_capabilities_constrain)
{
	bpci_placement *p = pt_new(BPCI_LB_ROUND_ROBIN, 80);
	bpci_placement_request r;
	char *to, *why;

	pt_daemon(p, "us-1", "cpu=8", "jurisdiction=US,region=us", NULL, "compute", 1);
	pt_daemon(p, "eu-1", "cpu=8", "jurisdiction=EU", NULL, "compute,encryption", 1);
	pt_daemon(p, "bare", "cpu=8", NULL, NULL, NULL, 1);
	r = pt_req("s1", "cpu=1", "jurisdiction=EU", NULL, NULL);
	ck_assert_str_eq(to = place_req(p, &r, NULL), "eu-1");
	free(to);
	r = pt_req("s2", "cpu=1", " jurisdiction = EU ", "encryption", NULL);
	ck_assert_str_eq(to = place_req(p, &r, NULL), "eu-1");
	free(to);
	r = pt_req("s3", "cpu=1", NULL, "compute", NULL);   /* rr cursor is past eu-1 */
	ck_assert_str_eq(to = place_req(p, &r, NULL), "us-1");
	free(to);
	r = pt_req("s4", "cpu=1", "jurisdiction=EU,region=eu", "gpu", NULL);
	ck_assert_ptr_null(place_req(p, &r, &why));
	ck_assert_contains(why, "fits on no daemon: us-1: label jurisdiction=EU required, "
				"has US, label region=eu required, has us, capability gpu "
				"required, missing; eu-1: label region=eu required, has no "
				"region label, capability gpu required, missing; bare: ");
	free(why);
	ck_assert_uint_eq(bpci_placement_node_count(p), 3);
	ck_assert_ptr_null(bpci_placement_node_daemon(p, "s4"));
	bpci_placement_free(p);
}
END_TEST

START_TEST(unhealthy_and_non_lifecycle_daemons_host_nothing)
{
	bpci_placement *p = pt_new(BPCI_LB_ROUND_ROBIN, 80);
	bpci_placement_daemon_state st = BPCI_PLACEMENT_DAEMON_STATE_INIT;
	char *why, id[8];
	int i;

	pt_daemon(p, "sick", "cpu=100", NULL, NULL, NULL, 0);
	pt_daemon(p, "monitor", "cpu=100", NULL, "health_monitoring,load_balancing", NULL, 1);
	pt_daemon(p, "worker", "cpu=2", NULL, "node_lifecycle", NULL, 1);
	for (i = 0; i < 1; i++) {
		snprintf(id, sizeof(id), "w%d", i);
		ck_assert_str_eq(pt_place(p, id, "cpu=1", NULL), "worker");
	}
	ck_assert_ptr_null(pt_place(p, "x", "cpu=1", &why));
	ck_assert_str_eq(why, "fits on no daemon: sick: unhealthy; monitor: lacks the "
			      "node_lifecycle responsibility; worker: cpu 0.6 free of 2 at "
			      "the 80% ceiling, needs 1");
	free(why);
	/* Healed, the daemon hosts again. */
	ck_assert_int_eq(bpci_placement_set_daemon_state(p, "sick", &st, NULL), 0);
	ck_assert_str_eq(pt_place(p, "y", "cpu=1", NULL), "sick");
	ck_assert_int_eq(bpci_placement_set_daemon_state(p, "nope", &st, NULL), BPCI_ENOTFOUND);
	bpci_placement_free(p);
}
END_TEST

START_TEST(refusal_lists_ten_daemons_then_counts)
{
	bpci_placement *p = pt_new(BPCI_LB_RESOURCE_BASED, 80);
	bpci_placement_request r = pt_req("storage-7", "memory=16Gi", NULL, NULL, NULL);
	bpci_placement_plan *plan = NULL;
	const bpci_diag_entry *e;
	bpci_diag *d = NULL;
	char id[16];
	int i;

	for (i = 0; i < 12; i++) {
		snprintf(id, sizeof(id), "daemon-%d", i);
		pt_daemon(p, id, "memory=16Gi", NULL, NULL, NULL, 1);
	}
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_placement_place(&plan, p, &r, 1, 0, d), BPCI_ELIMIT);
	ck_assert_uint_eq(bpci_placement_plan_refused(plan), 1);
	ck_assert_uint_eq(bpci_diag_count(d), 1);
	e = bpci_diag_get(d, 0);
	ck_assert_int_eq(e->code, BPCI_ELIMIT);
	ck_assert_str_eq(e->field, "storage-7");
	ck_assert_contains(e->text, "storage-7 fits on no daemon: daemon-0: memory 12.80Gi "
				    "free of 16Gi at the 80% ceiling, needs 16Gi; "
				    "daemon-1: ");
	ck_assert_contains(e->text, "; daemon-9: memory");
	ck_assert_msg(strstr(e->text, "daemon-10:") == NULL, "%s", e->text);
	ck_assert_contains(e->text, "; and 2 more daemons");
	ck_assert_str_eq(bpci_placement_plan_at(plan, 0)->reason, e->message);
	ck_assert_uint_eq(bpci_placement_node_count(p), 0);
	bpci_placement_plan_free(plan);
	bpci_diag_free(d);
	bpci_placement_free(p);
}
END_TEST

START_TEST(all_or_nothing_leaves_nothing_behind)
{
	bpci_placement *p = pt_new(BPCI_LB_ROUND_ROBIN, 80);
	bpci_placement_request r[3];
	bpci_placement_plan *plan = NULL;
	const bpci_placement_move *m;
	bpci_resources res;
	size_t nodes;
	int i;

	pt_daemon(p, "a", "cpu=4", NULL, NULL, NULL, 1);
	pt_daemon(p, "b", "cpu=4", NULL, NULL, NULL, 1);
	r[0] = pt_req("x", "cpu=3", NULL, NULL, NULL);
	r[1] = pt_req("y", "cpu=3", NULL, NULL, NULL);
	r[2] = pt_req("z", "cpu=3", NULL, NULL, NULL);
	ck_assert_int_eq(bpci_placement_place(&plan, p, r, 3, BPCI_PLACEMENT_ALL_OR_NOTHING,
					      NULL), BPCI_ELIMIT);
	ck_assert_uint_eq(bpci_placement_plan_count(plan), 3);
	for (i = 0; i < 3; i++) {
		m = bpci_placement_plan_at(plan, (size_t)i);
		ck_assert_ptr_null(m->to);
		ck_assert_int_eq(m->reason != NULL, i == 2);
	}
	bpci_placement_plan_free(plan);
	ck_assert_uint_eq(bpci_placement_node_count(p), 0);
	ck_assert_int_eq(bpci_placement_daemon_usage(p, "a", &res, NULL, &nodes), 0);
	ck_assert_uint_eq(res.cpu_millicores, 0);
	ck_assert_uint_eq(nodes, 0);
	ck_assert_ptr_null(bpci_placement_node_daemon(p, "x"));
	/* The round-robin cursor was restored too: best effort starts at a. */
	ck_assert_int_eq(bpci_placement_place(&plan, p, r, 3, 0, NULL), BPCI_ELIMIT);
	ck_assert_str_eq(bpci_placement_plan_at(plan, 0)->to, "a");
	ck_assert_str_eq(bpci_placement_plan_at(plan, 1)->to, "b");
	ck_assert_ptr_null(bpci_placement_plan_at(plan, 2)->to);
	ck_assert_ptr_null(bpci_placement_plan_at(plan, 3));
	bpci_placement_plan_free(plan);
	ck_assert_uint_eq(bpci_placement_node_count(p), 2);
	ck_assert_ptr_null(bpci_placement_node_daemon(p, "z"));
	/* z was refused, not kept: it can be placed later under the same id. */
	ck_assert_int_eq(bpci_placement_remove_node(p, "x"), 0);
	ck_assert_int_eq(bpci_placement_remove_node(p, "x"), BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci_placement_place(&plan, p, &r[2], 1, 0, NULL), 0);
	ck_assert_str_eq(bpci_placement_plan_at(plan, 0)->to, "a");
	bpci_placement_plan_free(plan);
	for (i = 0; i < 3; i++)
		pt_req_done(&r[i]);
	bpci_placement_free(p);
}
END_TEST

START_TEST(anti_affinity_spreads_a_group)
{
	bpci_placement *p = pt_new(BPCI_LB_RESOURCE_BASED, 80);
	bpci_placement_request r[3];
	bpci_placement_plan *plan = NULL;
	int i;

	pt_daemon(p, "a", "cpu=10", NULL, NULL, NULL, 1);
	pt_daemon(p, "b", "cpu=10", NULL, NULL, NULL, 1);
	r[0] = pt_req("enc-1", "cpu=1", NULL, NULL, "enc");
	r[1] = pt_req("enc-2", "cpu=1", NULL, NULL, "enc");
	r[2] = pt_req("enc-3", "cpu=1", NULL, NULL, "enc");
	ck_assert_int_eq(bpci_placement_place(&plan, p, r, 3, 0, NULL), BPCI_ELIMIT);
	ck_assert_str_eq(bpci_placement_plan_at(plan, 0)->to, "a");
	ck_assert_str_eq(bpci_placement_plan_at(plan, 1)->to, "b");
	ck_assert_str_eq(bpci_placement_plan_at(plan, 2)->reason,
			 "fits on no daemon: a: anti-affinity group enc already has a node "
			 "here; b: anti-affinity group enc already has a node here");
	bpci_placement_plan_free(plan);
	/* Once a member leaves, its daemon takes the group again. */
	ck_assert_int_eq(bpci_placement_remove_node(p, "enc-1"), 0);
	ck_assert_int_eq(bpci_placement_place(&plan, p, &r[2], 1, 0, NULL), 0);
	ck_assert_str_eq(bpci_placement_plan_at(plan, 0)->to, "a");
	bpci_placement_plan_free(plan);
	for (i = 0; i < 3; i++)
		pt_req_done(&r[i]);
	bpci_placement_free(p);
}
END_TEST

START_TEST(bad_input_is_refused_with_the_field)
{
	bpci_placement_options o = BPCI_PLACEMENT_OPTIONS_INIT;
	bpci_placement_daemon_state st = BPCI_PLACEMENT_DAEMON_STATE_INIT;
	bpci_placement *p = NULL;
	bpci_placement_plan *plan = NULL;
	bpci_placement_request r[2];
	bpci_daemon_spec *spec = NULL;
	bpci_diag *d = NULL;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	o.max_utilization_percent = 0;
	ck_assert_int_eq(bpci_placement_new(&p, &o, d), BPCI_EINVAL);
	ck_assert_ptr_null(p);
	ck_assert_str_eq(bpci_diag_last_text(d), "max_utilization_percent must be 1..100, got 0");
	o.max_utilization_percent = 101;
	ck_assert_int_eq(bpci_placement_new(&p, &o, d), BPCI_EINVAL);
	o.max_utilization_percent = 80;
	o.strategy = (bpci_load_balancing)9;
	ck_assert_int_eq(bpci_placement_new(&p, &o, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "strategy must be round_robin");
	o.strategy = BPCI_LB_ADAPTIVE;
	o.version = 7;
	ck_assert_int_eq(bpci_placement_new(&p, &o, d), BPCI_EUNSUPPORTED);
	ck_assert_int_eq(bpci_placement_new(&p, NULL, d), 0);

	ck_assert_int_eq(bpci_daemon_spec_new(&spec), 0);
	ck_assert_int_eq(bpci_placement_add_daemon(p, spec, NULL, d), BPCI_EINVAL);
	ck_assert_int_eq(bpci_daemon_spec_set(spec, "id", "d1", NULL), 0);
	st.weight = 0;
	ck_assert_int_eq(bpci_placement_add_daemon(p, spec, &st, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_last_text(d), "weight of daemon d1 must be at least 1, got 0");
	st.weight = 1;
	st.load = 1.5;
	ck_assert_int_eq(bpci_placement_add_daemon(p, spec, &st, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_last_text(d), "load of daemon d1 must be 0..1, got 1.5");
	ck_assert_int_eq(bpci_placement_add_daemon(p, spec, NULL, d), 0);
	ck_assert_int_eq(bpci_placement_add_daemon(p, spec, NULL, d), BPCI_EEXISTS);
	bpci_daemon_spec_free(spec);

	r[0] = pt_req("n1", "cpu=1", NULL, NULL, NULL);
	r[1] = pt_req("n1", "cpu=1", NULL, NULL, NULL);
	ck_assert_int_eq(bpci_placement_place(&plan, p, r, 2, 0, d), BPCI_EEXISTS);
	ck_assert_ptr_null(plan);
	ck_assert_str_eq(bpci_diag_last_text(d), "requests[1] node n1 is already placed");
	ck_assert_uint_eq(bpci_placement_node_count(p), 0);
	r[1].id = "n2";
	r[1].labels = "jurisdiction";
	ck_assert_int_eq(bpci_placement_place(&plan, p, r, 2, 0, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_last_text(d), "labels of node n2: \"jurisdiction\" is not "
						 "key=value (for example jurisdiction=EU)");
	r[1].labels = "a=1,a=2";
	ck_assert_int_eq(bpci_placement_place(&plan, p, r, 2, 0, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "label a given twice");
	r[1].labels = NULL;
	r[1].id = "";
	ck_assert_int_eq(bpci_placement_place(&plan, p, r, 2, 0, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_last_text(d), "requests[1] id must be 1..255 bytes, got 0");
	ck_assert_uint_eq(bpci_placement_node_count(p), 0);
	ck_assert_int_eq(bpci_placement_add_node(p, &r[0], "nope", d), BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci_placement_add_node(p, &r[0], "d1", d), 0);
	ck_assert_int_eq(bpci_placement_add_node(p, &r[0], "d1", d), BPCI_EEXISTS);
	ck_assert_int_eq(bpci_placement_place(&plan, p, NULL, 0, 0, d), 0);
	ck_assert_uint_eq(bpci_placement_plan_count(plan), 0);
	bpci_placement_plan_free(plan);
	pt_req_done(&r[0]);
	pt_req_done(&r[1]);
	bpci_placement_free(p);
	bpci_placement_free(NULL);
	bpci_placement_plan_free(NULL);
	bpci_diag_free(d);
}
END_TEST

START_TEST(failover_plans_without_changing_the_handle)
{
	bpci_placement *p = pt_new(BPCI_LB_RESOURCE_BASED, 80);
	bpci_placement_daemon_state st = BPCI_PLACEMENT_DAEMON_STATE_INIT;
	bpci_placement_request r;
	bpci_placement_plan *plan = NULL;
	const bpci_placement_move *m;
	bpci_diag *d = NULL;
	size_t nodes;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	pt_daemon(p, "f", "cpu=10", NULL, NULL, NULL, 1);
	pt_daemon(p, "a", "cpu=10", NULL, NULL, NULL, 1);
	pt_daemon(p, "b", "cpu=10", "zone=x", NULL, NULL, 1);
	r = pt_req("n1", "cpu=5", NULL, NULL, NULL);
	ck_assert_int_eq(bpci_placement_add_node(p, &r, "f", NULL), 0);
	r = pt_req("n2", "cpu=2", "zone=x", NULL, NULL);
	ck_assert_int_eq(bpci_placement_add_node(p, &r, "f", NULL), 0);
	r = pt_req("n3", "cpu=4", NULL, NULL, NULL);
	ck_assert_int_eq(bpci_placement_add_node(p, &r, "f", NULL), 0);
	r = pt_req("n4", "cpu=1", NULL, NULL, NULL);
	ck_assert_int_eq(bpci_placement_add_node(p, &r, "a", NULL), 0);

	ck_assert_int_eq(bpci_placement_failover(&plan, p, "f", d), 0);
	ck_assert_uint_eq(bpci_placement_plan_count(plan), 3);
	ck_assert_uint_eq(bpci_placement_plan_refused(plan), 0);
	m = bpci_placement_plan_at(plan, 0);   /* best fit: a is fuller */
	ck_assert_str_eq(m->node, "n1");
	ck_assert_str_eq(m->from, "f");
	ck_assert_str_eq(m->to, "a");
	m = bpci_placement_plan_at(plan, 1);
	ck_assert_str_eq(m->to, "b");
	m = bpci_placement_plan_at(plan, 2);   /* a has 2 cores left, b 6 */
	ck_assert_str_eq(m->to, "b");
	bpci_placement_plan_free(plan);
	/* b now carries 3 cores of its own: it is the fuller, n1 fills it,
	 * and n2 (only b has zone=x) fits nowhere. */
	ck_assert_int_eq(bpci_resources_parse(&st.reserved, "cpu=3", NULL), 0);
	ck_assert_int_eq(bpci_placement_set_daemon_state(p, "b", &st, NULL), 0);
	ck_assert_int_eq(bpci_placement_failover(&plan, p, "f", d), BPCI_ELIMIT);
	ck_assert_uint_eq(bpci_placement_plan_refused(plan), 1);
	ck_assert_str_eq(bpci_placement_plan_at(plan, 0)->to, "b");
	m = bpci_placement_plan_at(plan, 1);
	ck_assert_str_eq(m->node, "n2");
	ck_assert_str_eq(m->from, "f");
	ck_assert_ptr_null(m->to);
	ck_assert_str_eq(m->reason, "fits on no daemon: a: label zone=x required, has no "
				    "zone label; b: cpu 0 free of 10 at the 80% ceiling, needs 2");
	ck_assert_str_eq(bpci_diag_last_text(d), "n2 fits on no daemon: a: label zone=x "
						 "required, has no zone label; b: cpu 0 free of "
						 "10 at the 80% ceiling, needs 2");
	ck_assert_str_eq(bpci_placement_plan_at(plan, 2)->to, "a");
	/* Nothing moved yet. */
	ck_assert_str_eq(bpci_placement_node_daemon(p, "n1"), "f");
	ck_assert_int_eq(bpci_placement_daemon_usage(p, "a", NULL, NULL, &nodes), 0);
	ck_assert_uint_eq(nodes, 1);
	/* Apply: n1 and n3 move, n2 stays on f. */
	ck_assert_int_eq(bpci_placement_apply(p, plan, d), 0);
	ck_assert_str_eq(bpci_placement_node_daemon(p, "n1"), "b");
	ck_assert_str_eq(bpci_placement_node_daemon(p, "n2"), "f");
	ck_assert_str_eq(bpci_placement_node_daemon(p, "n3"), "a");
	/* Applying again is a no-op (each node is on its target). */
	ck_assert_int_eq(bpci_placement_apply(p, plan, d), 0);
	bpci_placement_plan_free(plan);
	ck_assert_int_eq(bpci_placement_failover(&plan, p, "ghost", d), BPCI_ENOTFOUND);
	ck_assert_ptr_null(plan);
	bpci_diag_free(d);
	bpci_placement_free(p);
}
END_TEST

START_TEST(apply_is_all_or_nothing)
{
	bpci_placement *p = pt_new(BPCI_LB_RESOURCE_BASED, 80);
	bpci_placement_request r;
	bpci_placement_plan *plan = NULL;
	bpci_diag *d = NULL;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	pt_daemon(p, "f", "cpu=10", NULL, NULL, NULL, 1);
	pt_daemon(p, "a", "cpu=10", NULL, NULL, NULL, 1);
	r = pt_req("n1", "cpu=4", NULL, NULL, NULL);
	ck_assert_int_eq(bpci_placement_add_node(p, &r, "f", NULL), 0);
	r = pt_req("n2", "cpu=4", NULL, NULL, NULL);
	ck_assert_int_eq(bpci_placement_add_node(p, &r, "f", NULL), 0);
	ck_assert_int_eq(bpci_placement_failover(&plan, p, "f", d), 0);
	ck_assert_uint_eq(bpci_placement_plan_refused(plan), 0);
	/* Meanwhile a fills up: the plan's move no longer fits. */
	ck_assert_str_eq(pt_place(p, "late", "cpu=5", NULL), "a");
	ck_assert_int_eq(bpci_placement_apply(p, plan, d), BPCI_ELIMIT);
	ck_assert_str_eq(bpci_diag_last_text(d), "plan[0] daemon a can no longer host node n1");
	ck_assert_str_eq(bpci_placement_node_daemon(p, "n1"), "f");
	ck_assert_int_eq(bpci_placement_remove_node(p, "n1"), 0);
	ck_assert_int_eq(bpci_placement_apply(p, plan, d), BPCI_ENOTFOUND);
	bpci_placement_plan_free(plan);
	bpci_diag_free(d);
	bpci_placement_free(p);
}
END_TEST

/* One run of everything that allocates; 0 or BPCI_ENOMEM expected. */
static int churn(void)
{
	bpci_placement_options o = BPCI_PLACEMENT_OPTIONS_INIT;
	bpci_placement_daemon_state st = BPCI_PLACEMENT_DAEMON_STATE_INIT;
	bpci_placement *p = NULL;
	bpci_placement_plan *plan = NULL;
	bpci_placement_request r[4] = {BPCI_PLACEMENT_REQUEST_INIT, BPCI_PLACEMENT_REQUEST_INIT,
				       BPCI_PLACEMENT_REQUEST_INIT, BPCI_PLACEMENT_REQUEST_INIT};
	bpci_daemon_spec *spec = NULL;
	bpci_diag *d = NULL;
	const char *ids[3] = {"d0", "d1", "d2"};
	int rc, i;

	rc = bpci_diag_new(&d);
	if (rc == 0)
		rc = bpci_placement_new(&p, &o, d);
	if (rc == 0)
		rc = bpci_daemon_spec_new(&spec);
	for (i = 0; rc == 0 && i < 3; i++) {
		rc = bpci_daemon_spec_set(spec, "id", ids[i], d);
		if (rc == 0)
			rc = bpci_daemon_spec_set(spec, "capacity", "cpu=10", d);
		if (rc == 0)
			rc = bpci_daemon_spec_set(spec, "labels", "zone=z", d);
		if (rc == 0)
			rc = bpci_placement_add_daemon(p, spec, &st, d);
	}
	r[0].id = "a";
	r[1].id = "b";
	r[2].id = "c";
	r[3].id = "huge";
	for (i = 0; i < 4; i++) {
		r[i].need.cpu_millicores = i == 3 ? 9000 : 2000;
		r[i].labels = "zone=z";
		r[i].anti_affinity = i == 1 ? "g" : NULL;
	}
	for (i = 0; rc == 0 && i < 3; i++)
		rc = bpci_placement_add_node(p, &r[i], "d0", d);
	if (rc == 0) {
		rc = bpci_placement_rebalance(&plan, p, d);
		if (rc == 0 && bpci_placement_plan_count(plan) != 2)
			rc = -100;
		if (rc == 0)
			rc = bpci_placement_apply(p, plan, d);
		bpci_placement_plan_free(plan);
		plan = NULL;
	}
	if (rc == 0) {
		rc = bpci_placement_failover(&plan, p, "d1", d);
		bpci_placement_plan_free(plan);
		plan = NULL;
	}
	if (rc == 0) {
		rc = bpci_placement_place(&plan, p, &r[3], 1, BPCI_PLACEMENT_ALL_OR_NOTHING, d);
		rc = rc == BPCI_ELIMIT ? 0 : rc == 0 ? -101 : rc;
		bpci_placement_plan_free(plan);
	}
	bpci_daemon_spec_free(spec);
	bpci_placement_free(p);
	bpci_diag_free(d);
	return rc;
}

START_TEST(allocation_failures_are_clean)
{
	long n;
	int rc, done = 0;

	for (n = 0; !done && n < 10000; n++) {
		bpci__alloc_fail_after(n);
		rc = churn();
		done = bpci__alloc_fail_after(-1) <= n;
		ck_assert_msg(rc == 0 || rc == BPCI_ENOMEM, "n=%ld rc=%d", n, rc);
		if (done)
			ck_assert_int_eq(rc, 0);
	}
	ck_assert(done);
}
END_TEST

void pt_add_place_tests(Suite *s)
{
	TCase *tc = tcase_create("place");

	tcase_add_test(tc, round_robin_rotates_and_skips_full);
	tcase_add_test(tc, weighted_round_robin_is_proportional);
	tcase_add_test(tc, least_connections_counts_placed_nodes);
	tcase_add_test(tc, resource_based_packs_fullest_first);
	tcase_add_test(tc, adaptive_spreads_by_measured_load);
	tcase_add_test(tc, ceiling_is_exact_at_the_boundary);
	tcase_add_test(tc, labels_and_capabilities_constrain);
	tcase_add_test(tc, unhealthy_and_non_lifecycle_daemons_host_nothing);
	tcase_add_test(tc, refusal_lists_ten_daemons_then_counts);
	tcase_add_test(tc, all_or_nothing_leaves_nothing_behind);
	tcase_add_test(tc, anti_affinity_spreads_a_group);
	tcase_add_test(tc, bad_input_is_refused_with_the_field);
	tcase_add_test(tc, failover_plans_without_changing_the_handle);
	tcase_add_test(tc, apply_is_all_or_nothing);
	tcase_add_test(tc, allocation_failures_are_clean);
	suite_add_tcase(s, tc);
}
