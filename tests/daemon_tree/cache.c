/* The placement view a tree keeps between placements and the single view
 * an apply uses: every answer is the one a freshly built view gives. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpci.h>
#include <bpci/daemon_tree.h>

#include "dt_test.h"

static bpci_daemon_tree *tree_of(bpci_load_balancing lb, const char *root_cap)
{
	bpci_daemon_tree_options o = BPCI_DAEMON_TREE_OPTIONS_INIT;
	bpci_daemon_spec *r = NULL;
	bpci_daemon_tree *t = NULL;

	o.strategy = lb;
	ck_assert_int_eq(bpci_daemon_spec_new(&r), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(r, "id", "root", NULL), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(r, "capacity", root_cap, NULL), 0);
	ck_assert_int_eq(bpci_daemon_tree_new(&t, r, 3, &o, NULL), 0);
	bpci_daemon_spec_free(r);
	return t;
}

static void leaf(bpci_daemon_tree *t, const char *id, const char *parent, const char *cap,
		 const char *labels)
{
	bpci_daemon_spec *s = NULL;

	ck_assert_int_eq(bpci_daemon_spec_new(&s), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(s, "id", id, NULL), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(s, "parent", parent, NULL), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(s, "capacity", cap, NULL), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(s, "remote", "true", NULL), 0);
	if (labels)
		ck_assert_int_eq(bpci_daemon_spec_set(s, "labels", labels, NULL), 0);
	ck_assert_int_eq(bpci_daemon_tree_add(t, s, NULL), 0);
	bpci_daemon_spec_free(s);
}

/* Place @id needing @cpu cores; the daemon's id, or NULL when refused. */
static const char *place(bpci_daemon_tree *t, const char *id, const char *cpu)
{
	bpci_placement_request req = BPCI_PLACEMENT_REQUEST_INIT;
	const char *where = NULL;
	char need[32];
	int rc;

	snprintf(need, sizeof(need), "cpu=%s", cpu);
	req.id = id;
	ck_assert_int_eq(bpci_resources_parse(&req.need, need, NULL), 0);
	rc = bpci_daemon_tree_place_node(&where, t, &req, NULL);
	ck_assert_msg(rc == 0 || rc == BPCI_ELIMIT, "%s: %d", id, rc);
	return rc == 0 ? where : NULL;
}

static void set_state(bpci_daemon_tree *t, const char *id, const char *state)
{
	bpci_daemon_live l = BPCI_DAEMON_LIVE_INIT;

	l.state = state;
	ck_assert_int_eq(bpci_daemon_tree_set_live(t, id, &l, NULL), 0);
}

START_TEST(kept_view_follows_every_change)
{
	bpci_daemon_tree *t = tree_of(BPCI_LB_RESOURCE_BASED, "cpu=10");
	bpci_placement_request req = BPCI_PLACEMENT_REQUEST_INIT;
	const char *w;

	leaf(t, "a", "root", "cpu=10", NULL);
	leaf(t, "b", "root", "cpu=10", NULL);
	/* resource_based packs: the fullest daemon that fits, first on a tie. */
	ck_assert_str_eq(place(t, "n1", "4"), "root");
	ck_assert_str_eq(place(t, "n2", "1"), "root");
	/* A daemon that fails hosts nothing new... */
	set_state(t, "root", "failed");
	ck_assert_str_eq(place(t, "n3", "1"), "a");
	/* ...until it runs again. */
	set_state(t, "root", "running");
	ck_assert_str_eq(place(t, "n4", "2"), "root");          /* 4+1+2 = 7 <= 8 */
	ck_assert_str_eq(place(t, "n5", "2"), "a");             /* 9 > 8 on root */
	/* A removed node frees its share and its id. */
	ck_assert_int_eq(bpci_daemon_tree_remove_node(t, "n4"), 0);
	ck_assert_str_eq(place(t, "n4", "3"), "root");          /* 4+1+3 = 8 */
	ck_assert_str_eq(bpci_daemon_tree_node_daemon(t, "n4"), "root");
	/* A node recorded without placement counts at once. */
	req.id = "x";
	ck_assert_int_eq(bpci_resources_parse(&req.need, "cpu=5", NULL), 0);
	ck_assert_int_eq(bpci_daemon_tree_add_node(t, &req, "a", NULL), 0);
	ck_assert_str_eq(place(t, "n6", "2"), "b");             /* a: 1+2+5 = 8 */
	/* A daemon added later is a candidate at once. */
	leaf(t, "c", "root", "cpu=100", NULL);
	ck_assert_str_eq(place(t, "n7", "50"), "c");
	ck_assert_ptr_null(place(t, "n8", "40"));               /* 90 > 80 on c */
	/* The refused node is not recorded; its id stays free. */
	ck_assert_ptr_null(bpci_daemon_tree_node_daemon(t, "n8"));
	ck_assert_str_eq(place(t, "n8", "30"), "c");
	/* An id taken is refused, however it was recorded. */
	w = NULL;
	req.id = "x";
	ck_assert_int_eq(bpci_daemon_tree_place_node(&w, t, &req, NULL), BPCI_EEXISTS);
	req.id = "n8";
	ck_assert_int_eq(bpci_daemon_tree_place_node(&w, t, &req, NULL), BPCI_EEXISTS);
	ck_assert_uint_eq(bpci_daemon_tree_count(t), 4);
	bpci_daemon_tree_free(t);
}
END_TEST

/* Round robin through the tree starts from the first daemon each time,
 * as a view built for the one node does. */
START_TEST(round_robin_starts_where_a_fresh_view_does)
{
	bpci_daemon_tree *t = tree_of(BPCI_LB_ROUND_ROBIN, "cpu=1");

	leaf(t, "a", "root", "cpu=10", NULL);
	leaf(t, "b", "root", "cpu=10", NULL);
	ck_assert_str_eq(place(t, "n1", "2"), "a");   /* root: 2 > 0.8 */
	ck_assert_str_eq(place(t, "n2", "2"), "a");
	ck_assert_str_eq(place(t, "n3", "2"), "a");
	ck_assert_str_eq(place(t, "n4", "2"), "a");   /* 8 = 80 % of 10 */
	ck_assert_str_eq(place(t, "n5", "2"), "b");
	bpci_daemon_tree_free(t);
}
END_TEST

/* Every placement through the kept view equals the one a copy of the
 * tree (which keeps no view) makes, for every strategy, with labels,
 * anti-affinity, refusals and changes in between. */
START_TEST(kept_view_places_as_a_fresh_one)
{
	static const char *const groups[3] = {"g0", "g1", "g2"};
	bpci_daemon_tree *t = tree_of((bpci_load_balancing)(_i + 1), "cpu=8");
	char id[16], par[16], cpu[16];
	int m, i, placed = 0, refused = 0;

	for (m = 0; m < 3; m++) {
		snprintf(par, sizeof(par), "m%d", m);
		leaf(t, par, "root", "cpu=4", m == 1 ? "zone=z1" : NULL);
		for (i = 0; i < 4; i++) {
			snprintf(id, sizeof(id), "l%d%d", m, i);
			leaf(t, id, par, i == 3 ? "cpu=2" : "cpu=12", i % 2 ? "zone=z1" : "zone=z0");
		}
	}
	for (i = 0; i < 120; i++) {
		bpci_placement_request req = BPCI_PLACEMENT_REQUEST_INIT;
		bpci_daemon_tree *c = NULL;
		const char *w1 = NULL, *w2 = NULL;
		int rc1, rc2;

		snprintf(id, sizeof(id), "n%03d", i);
		snprintf(cpu, sizeof(cpu), "cpu=%dm", (i % 7 + 2) * 300);
		req.id = id;
		ck_assert_int_eq(bpci_resources_parse(&req.need, cpu, NULL), 0);
		req.labels = i % 5 == 0 ? "zone=z1" : NULL;
		req.anti_affinity = i % 4 == 0 ? groups[i % 3] : NULL;
		ck_assert_int_eq(bpci_daemon_tree_dup(&c, t), 0);
		rc1 = bpci_daemon_tree_place_node(&w1, c, &req, NULL);
		rc2 = bpci_daemon_tree_place_node(&w2, t, &req, NULL);
		ck_assert_int_eq(rc1, rc2);
		if (rc1 == 0)
			ck_assert_str_eq(w1, w2);
		placed += rc1 == 0;
		refused += rc1 == BPCI_ELIMIT;
		bpci_daemon_tree_free(c);
		if (i == 40)
			set_state(t, "l10", "unreachable");
		if (i == 80)
			set_state(t, "l10", "running");
	}
	/* Both outcomes occurred: the comparison covered refusals too. */
	ck_assert_int_gt(placed, 40);
	ck_assert_int_gt(refused, 0);
	ck_assert_int_eq(placed + refused, 120);
	bpci_daemon_tree_free(t);
}
END_TEST

/* A plan of many moves is carried out with one view; a move the target
 * cannot take still fails with the reasons, and nothing changes. */
START_TEST(apply_many_moves_then_a_refused_one)
{
	bpci_daemon_tree *t = tree_of(BPCI_LB_RESOURCE_BASED, "cpu=100");
	bpci_daemon_tree_plan *plan = NULL, *bad = NULL;
	bpci_placement_request req = BPCI_PLACEMENT_REQUEST_INIT;
	const bpci_daemon_step *s;
	char id[16], *j, *before, *after, *text;
	bpci_diag *d = NULL;
	size_t k, n;
	int i;

	for (i = 0; i < 4; i++) {
		snprintf(id, sizeof(id), "d%d", i);
		leaf(t, id, "root", "cpu=100", NULL);
	}
	req.need.cpu_millicores = 1000;
	for (i = 0; i < 60; i++) {
		snprintf(id, sizeof(id), "n%02d", i);
		req.id = id;
		ck_assert_int_eq(bpci_daemon_tree_add_node(t, &req, "root", NULL), 0);
	}
	ck_assert_int_eq(bpci_daemon_tree_rebalance(&plan, t, NULL), 0);
	n = bpci_daemon_tree_plan_count(plan);
	ck_assert_uint_ge(n, 40);
	ck_assert_uint_le(n, 60);
	/* The same plan with one more move, over d0's ceiling (80 cores). */
	ck_assert_int_eq(bpci_daemon_tree_plan_to_json(&j, plan), 0);
	ck_assert_ptr_nonnull(strstr(j, "]}"));
	text = malloc(strlen(j) + 128);
	ck_assert_ptr_nonnull(text);
	strcpy(text, j);
	strcpy(strstr(text, "]}"), ",{\"action\":\"move_node\",\"node\":\"big\",\"from\":\"root\","
				  "\"to\":\"d0\"}]}");
	req.id = "big";
	req.need.cpu_millicores = 70000;
	ck_assert_int_eq(bpci_daemon_tree_add_node(t, &req, "root", NULL), 0);
	ck_assert_int_eq(bpci_daemon_tree_plan_parse(&bad, text, strlen(text), NULL), 0);
	before = NULL;
	ck_assert_int_eq(bpci_daemon_tree_to_json(&before, t), 0);
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_daemon_tree_apply(t, bad, d), BPCI_ELIMIT);
	ck_assert_ptr_nonnull(strstr(bpci_diag_last_text(d), "node \"big\" fits on no daemon"));
	ck_assert_ptr_nonnull(strstr(bpci_diag_last_text(d), "d0"));
	ck_assert_int_eq(bpci_daemon_tree_to_json(&after, t), 0);
	ck_assert_str_eq(before, after);
	/* Without it, every move lands where the plan says. */
	ck_assert_int_eq(bpci_daemon_tree_apply(t, plan, NULL), 0);
	for (k = 0; k < n; k++) {
		s = bpci_daemon_tree_plan_at(plan, k);
		ck_assert_str_eq(bpci_daemon_tree_node_daemon(t, s->subject), s->to);
	}
	bpci_diag_free(d);
	bpci_free(j);
	bpci_free(before);
	bpci_free(after);
	free(text);
	bpci_daemon_tree_plan_free(bad);
	bpci_daemon_tree_plan_free(plan);
	bpci_daemon_tree_free(t);
}
END_TEST

/* Nodes are found by id after removals renumber the ones after them. */
START_TEST(node_lookups_after_removals)
{
	bpci_daemon_tree *t = tree_of(BPCI_LB_RESOURCE_BASED, "cpu=100");
	char id[16];
	int i;

	leaf(t, "a", "root", "cpu=100", NULL);
	for (i = 0; i < 20; i++) {
		snprintf(id, sizeof(id), "n%02d", i);
		ck_assert_str_eq(place(t, id, "1"), "root");
	}
	ck_assert_int_eq(bpci_daemon_tree_remove_node(t, "n03"), 0);
	ck_assert_int_eq(bpci_daemon_tree_remove_node(t, "n00"), 0);
	ck_assert_int_eq(bpci_daemon_tree_remove_node(t, "n19"), 0);
	ck_assert_int_eq(bpci_daemon_tree_remove_node(t, "n03"), BPCI_ENOTFOUND);
	for (i = 0; i < 20; i++) {
		snprintf(id, sizeof(id), "n%02d", i);
		if (i == 0 || i == 3 || i == 19)
			ck_assert_ptr_null(bpci_daemon_tree_node_daemon(t, id));
		else
			ck_assert_str_eq(bpci_daemon_tree_node_daemon(t, id), "root");
	}
	/* Removing each in turn finds each. */
	for (i = 1; i < 19; i++) {
		snprintf(id, sizeof(id), "n%02d", i);
		if (i != 3)
			ck_assert_int_eq(bpci_daemon_tree_remove_node(t, id), 0);
	}
	ck_assert_str_eq(place(t, "n05", "79"), "root");  /* everything else is gone */
	bpci_daemon_tree_free(t);
}
END_TEST

void dt_add_cache_tests(Suite *s)
{
	TCase *tc = tcase_create("kept_view");

	tcase_add_test(tc, kept_view_follows_every_change);
	tcase_add_test(tc, round_robin_starts_where_a_fresh_view_does);
	tcase_add_loop_test(tc, kept_view_places_as_a_fresh_one, 0, 5);
	tcase_add_test(tc, apply_many_moves_then_a_refused_one);
	tcase_add_test(tc, node_lookups_after_removals);
	suite_add_tcase(s, tc);
}
