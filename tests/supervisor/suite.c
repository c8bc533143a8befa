/*
 * Tests of the OTP supervision decision (lib/plan/supervisor.c) and of the
 * restart type and strategy names: every strategy, restart type and
 * intensity case, with exact index lists.
 */
#include <stdio.h>
#include <string.h>

#include "bpci.h"
#include "plan/supervisor.h"
#include "test.h"

#define P BPCI_CHILD_PERMANENT
#define T BPCI_CHILD_TRANSIENT
#define TMP BPCI_CHILD_TEMPORARY

/* "a,b,c" of an index list, for exact comparisons. */
static const char *list(const size_t *v, size_t n)
{
	static char buf[4][64];
	static int k;
	char *b = buf[k++ & 3];
	size_t i;

	b[0] = '\0';
	for (i = 0; i < n; i++)
		snprintf(b + strlen(b), 64 - strlen(b), "%s%zu", i ? "," : "", v[i]);
	return b;
}

static void decide(bpci__sup_plan *p, const bpci__sup_child *k, size_t n, size_t failed,
		   int abnormal, bpci_supervisor_strategy s, bpci__sup_window *w, uint64_t now)
{
	ck_assert_int_eq(bpci__sup_decide(p, k, n, failed, abnormal, s, w, now), 0);
}

START_TEST(one_for_one_restarts_only_the_child)
{
	bpci__sup_child k[4] = {{P, 1}, {P, 1}, {P, 1}, {P, 1}};
	bpci__sup_window w;
	bpci__sup_plan p;

	ck_assert_int_eq(bpci__sup_window_init(&w, 3, 5000), 0);
	decide(&p, k, 4, 2, 1, BPCI_STRATEGY_ONE_FOR_ONE, &w, 1000);
	ck_assert_int_eq(p.action, BPCI__SUP_RESTART);
	ck_assert_str_eq(list(p.stop, p.nstop), "");
	ck_assert_str_eq(list(p.start, p.nstart), "2");
	ck_assert_str_eq(list(p.forget, p.nforget), "");
	ck_assert_uint_eq(bpci__sup_window_count(&w, 1000), 1);
	bpci__sup_plan_release(&p);
	bpci__sup_window_release(&w);
}
END_TEST

START_TEST(one_for_all_stops_reverse_starts_forward)
{
	bpci__sup_child k[4] = {{P, 1}, {T, 1}, {P, 1}, {P, 1}};
	bpci__sup_window w;
	bpci__sup_plan p;

	ck_assert_int_eq(bpci__sup_window_init(&w, 3, 5000), 0);
	decide(&p, k, 4, 1, 1, BPCI_STRATEGY_ONE_FOR_ALL, &w, 10);
	ck_assert_int_eq(p.action, BPCI__SUP_RESTART);
	ck_assert_str_eq(list(p.stop, p.nstop), "3,2,0");
	ck_assert_str_eq(list(p.start, p.nstart), "0,1,2,3");
	ck_assert_uint_eq(p.nforget, 0);
	/* one failure is one restart, whatever the number of siblings */
	ck_assert_uint_eq(bpci__sup_window_count(&w, 10), 1);
	bpci__sup_plan_release(&p);
	bpci__sup_window_release(&w);
}
END_TEST

START_TEST(rest_for_one_takes_later_siblings)
{
	bpci__sup_child k[5] = {{P, 1}, {P, 1}, {P, 1}, {T, 1}, {P, 1}};
	bpci__sup_window w;
	bpci__sup_plan p;

	ck_assert_int_eq(bpci__sup_window_init(&w, 3, 5000), 0);
	decide(&p, k, 5, 1, 1, BPCI_STRATEGY_REST_FOR_ONE, &w, 10);
	ck_assert_int_eq(p.action, BPCI__SUP_RESTART);
	ck_assert_str_eq(list(p.stop, p.nstop), "4,3,2");
	ck_assert_str_eq(list(p.start, p.nstart), "1,2,3,4");
	bpci__sup_plan_release(&p);
	/* the last child: nobody after it */
	decide(&p, k, 5, 4, 1, BPCI_STRATEGY_REST_FOR_ONE, &w, 20);
	ck_assert_str_eq(list(p.stop, p.nstop), "");
	ck_assert_str_eq(list(p.start, p.nstart), "4");
	bpci__sup_plan_release(&p);
	bpci__sup_window_release(&w);
}
END_TEST

START_TEST(group_restart_forgets_temporary_siblings_and_skips_stopped)
{
	/* 0 temporary running, 1 transient stopped (ended normally), 2 fails,
	 * 3 temporary running */
	bpci__sup_child k[4] = {{TMP, 1}, {T, 0}, {P, 1}, {TMP, 1}};
	bpci__sup_window w;
	bpci__sup_plan p;

	ck_assert_int_eq(bpci__sup_window_init(&w, 3, 5000), 0);
	decide(&p, k, 4, 2, 1, BPCI_STRATEGY_ONE_FOR_ALL, &w, 10);
	ck_assert_int_eq(p.action, BPCI__SUP_RESTART);
	ck_assert_str_eq(list(p.stop, p.nstop), "3,0");
	ck_assert_str_eq(list(p.forget, p.nforget), "3,0");
	ck_assert_str_eq(list(p.start, p.nstart), "2");
	bpci__sup_plan_release(&p);
	bpci__sup_window_release(&w);
}
END_TEST

START_TEST(restart_types_decide_on_the_exit)
{
	bpci__sup_child k[3] = {{P, 1}, {T, 1}, {TMP, 1}};
	bpci__sup_window w;
	bpci__sup_plan p;

	ck_assert_int_eq(bpci__sup_window_init(&w, 3, 5000), 0);
	/* permanent: even a normal exit restarts it */
	decide(&p, k, 3, 0, 0, BPCI_STRATEGY_ONE_FOR_ALL, &w, 10);
	ck_assert_int_eq(p.action, BPCI__SUP_RESTART);
	ck_assert_str_eq(list(p.start, p.nstart), "0,1");
	ck_assert_str_eq(list(p.forget, p.nforget), "2");
	bpci__sup_plan_release(&p);
	/* transient, normal exit: nothing, no sibling touched, not counted */
	decide(&p, k, 3, 1, 0, BPCI_STRATEGY_ONE_FOR_ALL, &w, 20);
	ck_assert_int_eq(p.action, BPCI__SUP_NONE);
	ck_assert_uint_eq(p.nstop + p.nstart + p.nforget, 0);
	ck_assert_uint_eq(bpci__sup_window_count(&w, 20), 1);
	bpci__sup_plan_release(&p);
	/* transient, abnormal: restarted */
	decide(&p, k, 3, 1, 1, BPCI_STRATEGY_ONE_FOR_ONE, &w, 30);
	ck_assert_int_eq(p.action, BPCI__SUP_RESTART);
	ck_assert_str_eq(list(p.start, p.nstart), "1");
	bpci__sup_plan_release(&p);
	/* temporary: never restarted, forgotten, even after a crash */
	decide(&p, k, 3, 2, 1, BPCI_STRATEGY_ONE_FOR_ALL, &w, 40);
	ck_assert_int_eq(p.action, BPCI__SUP_NONE);
	ck_assert_str_eq(list(p.forget, p.nforget), "2");
	ck_assert_uint_eq(p.nstop + p.nstart, 0);
	ck_assert_uint_eq(bpci__sup_window_count(&w, 40), 2);
	bpci__sup_plan_release(&p);
	bpci__sup_window_release(&w);
}
END_TEST

START_TEST(intensity_escalates_on_the_fourth_restart)
{
	bpci__sup_child k[3] = {{P, 1}, {P, 1}, {P, 1}};
	bpci__sup_window w;
	bpci__sup_plan p;
	int i;

	ck_assert_int_eq(bpci__sup_window_init(&w, 3, 5000), 0);
	for (i = 0; i < 3; i++) {
		decide(&p, k, 3, 1, 1, BPCI_STRATEGY_ONE_FOR_ONE, &w, 1000 + (uint64_t)i * 1000);
		ck_assert_int_eq(p.action, BPCI__SUP_RESTART);
		bpci__sup_plan_release(&p);
	}
	/* 4 restarts within 5 s (1000..4000): give up */
	decide(&p, k, 3, 1, 1, BPCI_STRATEGY_ONE_FOR_ONE, &w, 4000);
	ck_assert_int_eq(p.action, BPCI__SUP_ESCALATE);
	ck_assert_str_eq(list(p.stop, p.nstop), "2,0");
	ck_assert_uint_eq(p.nstart, 0);
	ck_assert_ptr_nonnull(strstr(p.reason, "more than 3 restarts within 5000 ms"));
	bpci__sup_plan_release(&p);
	bpci__sup_window_release(&w);
}
END_TEST

START_TEST(intensity_window_slides)
{
	bpci__sup_child k[1] = {{P, 1}};
	bpci__sup_window w;
	bpci__sup_plan p;

	ck_assert_int_eq(bpci__sup_window_init(&w, 3, 5000), 0);
	decide(&p, k, 1, 0, 1, BPCI_STRATEGY_ONE_FOR_ONE, &w, 0);
	bpci__sup_plan_release(&p);
	decide(&p, k, 1, 0, 1, BPCI_STRATEGY_ONE_FOR_ONE, &w, 1000);
	bpci__sup_plan_release(&p);
	decide(&p, k, 1, 0, 1, BPCI_STRATEGY_ONE_FOR_ONE, &w, 2000);
	bpci__sup_plan_release(&p);
	/* the restart at 0 is exactly 5000 ms old: it no longer counts */
	decide(&p, k, 1, 0, 1, BPCI_STRATEGY_ONE_FOR_ONE, &w, 5000);
	ck_assert_int_eq(p.action, BPCI__SUP_RESTART);
	ck_assert_uint_eq(bpci__sup_window_count(&w, 5000), 3);
	bpci__sup_plan_release(&p);
	/* one ms earlier the fourth would have escalated: check at 5999 */
	decide(&p, k, 1, 0, 1, BPCI_STRATEGY_ONE_FOR_ONE, &w, 5999);
	ck_assert_int_eq(p.action, BPCI__SUP_ESCALATE);
	bpci__sup_plan_release(&p);
	bpci__sup_window_release(&w);
}
END_TEST

START_TEST(zero_intensity_escalates_at_once)
{
	bpci__sup_child k[2] = {{P, 1}, {P, 0}};
	bpci__sup_window w;
	bpci__sup_plan p;

	ck_assert_int_eq(bpci__sup_window_init(&w, 0, 1000), 0);
	decide(&p, k, 2, 0, 1, BPCI_STRATEGY_ONE_FOR_ALL, &w, 7);
	ck_assert_int_eq(p.action, BPCI__SUP_ESCALATE);
	ck_assert_uint_eq(p.nstop, 0); /* the sibling does not run */
	bpci__sup_plan_release(&p);
	/* but a temporary child's end is no restart at all */
	k[0].restart = TMP;
	decide(&p, k, 2, 0, 1, BPCI_STRATEGY_ONE_FOR_ALL, &w, 8);
	ck_assert_int_eq(p.action, BPCI__SUP_NONE);
	bpci__sup_plan_release(&p);
	bpci__sup_window_release(&w);
}
END_TEST

START_TEST(bad_arguments_are_refused)
{
	bpci__sup_child k[2] = {{P, 1}, {(bpci_child_restart)9, 1}};
	bpci__sup_window w;
	bpci__sup_plan p;

	ck_assert_int_eq(bpci__sup_window_init(&w, 3, 0), BPCI_EINVAL);
	ck_assert_int_eq(bpci__sup_window_init(&w, 3, 5000), 0);
	ck_assert_int_eq(bpci__sup_decide(&p, k, 1, 1, 1, BPCI_STRATEGY_ONE_FOR_ONE, &w, 0),
			 BPCI_EINVAL);
	bpci__sup_plan_release(&p);
	ck_assert_int_eq(bpci__sup_decide(&p, k, 2, 0, 1, BPCI_STRATEGY_ONE_FOR_ONE, &w, 0),
			 BPCI_EINVAL);
	bpci__sup_plan_release(&p);
	ck_assert_int_eq(bpci__sup_decide(&p, k, 1, 0, 1, (bpci_supervisor_strategy)0, &w, 0),
			 BPCI_EINVAL);
	bpci__sup_plan_release(&p);
	ck_assert_uint_eq(bpci__sup_window_count(&w, 0), 0);
	bpci__sup_window_release(&w);
}
END_TEST

START_TEST(names_round_trip)
{
	bpci_child_restart r;
	bpci_supervisor_strategy s;
	bpci_diag *d;
	const bpci_diag_entry *e;

	ck_assert_str_eq(bpci_child_restart_name(BPCI_CHILD_TRANSIENT), "transient");
	ck_assert_ptr_null(bpci_child_restart_name((bpci_child_restart)0));
	ck_assert_int_eq(bpci_child_restart_parse(&r, "temporary", NULL), 0);
	ck_assert_int_eq(r, BPCI_CHILD_TEMPORARY);
	ck_assert_str_eq(bpci_supervisor_strategy_name(BPCI_STRATEGY_REST_FOR_ONE),
			 "rest_for_one");
	ck_assert_ptr_null(bpci_supervisor_strategy_name((bpci_supervisor_strategy)4));
	ck_assert_int_eq(bpci_supervisor_strategy_parse(&s, "one_for_all", NULL), 0);
	ck_assert_int_eq(s, BPCI_STRATEGY_ONE_FOR_ALL);
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_supervisor_strategy_parse(&s, "all_for_one", d), BPCI_EINVAL);
	e = bpci_diag_get(d, 0);
	ck_assert_str_eq(e->field, "strategy");
	ck_assert_ptr_nonnull(strstr(e->message, "'all_for_one'"));
	ck_assert_ptr_nonnull(strstr(e->message, "rest_for_one"));
	ck_assert_int_eq(bpci_child_restart_parse(&r, "sometimes", d), BPCI_EINVAL);
	e = bpci_diag_get(d, 1);
	ck_assert_str_eq(e->field, "restart");
	ck_assert_ptr_nonnull(strstr(e->message, "'sometimes'"));
	bpci_diag_free(d);
}
END_TEST

Suite *bpci_test_suite(void)
{
	Suite *s = suite_create("supervisor");
	TCase *tc = tcase_create("decide");

	tcase_add_test(tc, one_for_one_restarts_only_the_child);
	tcase_add_test(tc, one_for_all_stops_reverse_starts_forward);
	tcase_add_test(tc, rest_for_one_takes_later_siblings);
	tcase_add_test(tc, group_restart_forgets_temporary_siblings_and_skips_stopped);
	tcase_add_test(tc, restart_types_decide_on_the_exit);
	tcase_add_test(tc, intensity_escalates_on_the_fourth_restart);
	tcase_add_test(tc, intensity_window_slides);
	tcase_add_test(tc, zero_intensity_escalates_at_once);
	tcase_add_test(tc, bad_arguments_are_refused);
	tcase_add_test(tc, names_round_trip);
	suite_add_tcase(s, tc);
	return s;
}
