/*
 * Supervisor strategies with real child daemons: one_for_all restarts
 * every sibling, rest_for_one those started after the failed child,
 * one_for_one the child alone (pids compared before and after); a
 * temporary child is not restarted.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpci.h"
#include "daemon_test.h"

typedef struct trio {
	char *tmp;
	dt_daemon root;
	long pid[3];
} trio;

static const char *const names[3] = {"a", "b", "c"};

static void trio_up(trio *t, const char *strategy, const char *restart_b)
{
	char dir[1024];
	int i;

	memset(t, 0, sizeof(*t));
	t->tmp = bpci_test_mkdtemp();
	snprintf(dir, sizeof(dir), "%s/root", t->tmp);
	dt_start(&t->root, dir, "root", "--strategy", strategy, "--heartbeat-interval", "300ms",
		 NULL);
	for (i = 0; i < 3; i++)
		dt_add_child(t->root.url, t->root.token, names[i], i == 1 ? restart_b : "permanent");
	for (i = 0; i < 3; i++)
		t->pid[i] = dt_wait_state(t->root.url, names[i], "running", 0, 1, 15000);
}

static void trio_down(trio *t)
{
	ck_assert_int_eq(dt_stop(&t->root), 0);
	dt_free(&t->root);
	bpci_test_rmtree(t->tmp);
	free(t->tmp);
}

/* Kill b; wait for b's new pid; return the pids now. */
static void kill_b(trio *t, long now[3])
{
	int i;

	ck_assert_int_eq(kill((pid_t)t->pid[1], SIGKILL), 0);
	now[1] = dt_wait_state(t->root.url, "b", "running", t->pid[1], 0, 15000);
	for (i = 0; i < 3; i += 2)
		now[i] = dt_wait_state(t->root.url, names[i], "running", 0, 0, 15000);
}

START_TEST(one_for_all_restarts_every_sibling)
{
	trio t;
	long now[3];

	trio_up(&t, "one_for_all", "permanent");
	kill_b(&t, now);
	ck_assert_int_ne(now[0], t.pid[0]);
	ck_assert_int_ne(now[1], t.pid[1]);
	ck_assert_int_ne(now[2], t.pid[2]);
	ck_assert(!dt_alive(t.pid[0])); /* the old ones are gone */
	ck_assert(!dt_alive(t.pid[2]));
	trio_down(&t);
}
END_TEST

START_TEST(rest_for_one_restarts_later_siblings)
{
	trio t;
	long now[3];

	trio_up(&t, "rest_for_one", "permanent");
	kill_b(&t, now);
	ck_assert_int_eq(now[0], t.pid[0]);
	ck_assert_int_ne(now[1], t.pid[1]);
	ck_assert_int_ne(now[2], t.pid[2]);
	trio_down(&t);
}
END_TEST

START_TEST(one_for_one_restarts_the_child_alone)
{
	trio t;
	long now[3];

	trio_up(&t, "one_for_one", "permanent");
	kill_b(&t, now);
	ck_assert_int_eq(now[0], t.pid[0]);
	ck_assert_int_ne(now[1], t.pid[1]);
	ck_assert_int_eq(now[2], t.pid[2]);
	trio_down(&t);
}
END_TEST

START_TEST(temporary_child_is_not_restarted)
{
	trio t;
	char u[512], *answer = NULL;
	double t0;

	trio_up(&t, "one_for_all", "temporary");
	ck_assert_int_eq(kill((pid_t)t.pid[1], SIGKILL), 0);
	/* forgotten: gone from the list, siblings untouched */
	snprintf(u, sizeof(u), "%s/api/daemons", t.root.url);
	t0 = dt_now();
	for (;;) {
		ck_assert_int_eq(dt_http("GET", u, NULL, NULL, &answer), 200);
		if (!strstr(answer, "\"daemon_id\":\"b\""))
			break;
		free(answer);
		ck_assert_msg(dt_now() - t0 < 5, "b still listed");
		dt_sleep_ms(50);
	}
	ck_assert_ptr_nonnull(strstr(answer, "\"daemon_id\":\"a\""));
	free(answer);
	dt_sleep_ms(500);
	ck_assert_int_eq(dt_wait_state(t.root.url, "a", "running", 0, 0, 1000), t.pid[0]);
	ck_assert_int_eq(dt_wait_state(t.root.url, "c", "running", 0, 0, 1000), t.pid[2]);
	trio_down(&t);
}
END_TEST

START_TEST(transient_child_ending_normally_stays_stopped)
{
	trio t;
	long now;
	json_t *st;

	/* b transient; a and c permanent */
	trio_up(&t, "one_for_all", "transient");
	/* SIGTERM from someone else: b stops its nodes and exits 0, normally */
	ck_assert_int_eq(kill((pid_t)t.pid[1], SIGTERM), 0);
	(void)dt_wait_state(t.root.url, "b", "stopped", 0, 0, 15000);
	dt_sleep_ms(600);
	ck_assert_int_eq(dt_wait_state(t.root.url, "a", "running", 0, 0, 1000), t.pid[0]);
	ck_assert_int_eq(dt_wait_state(t.root.url, "c", "running", 0, 0, 1000), t.pid[2]);
	st = dt_status(t.root.url, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(dt_find(st, "b"), "last_exit")),
			 "exited with status 0");
	json_decref(st);
	/* a permanent child ending normally is restarted, with its siblings */
	ck_assert_int_eq(kill((pid_t)t.pid[2], SIGTERM), 0);
	now = dt_wait_state(t.root.url, "c", "running", t.pid[2], 0, 15000);
	ck_assert_int_ne(now, t.pid[2]);
	ck_assert_int_ne(dt_wait_state(t.root.url, "a", "running", 0, 0, 15000), t.pid[0]);
	/* the stopped transient sibling is left alone */
	st = dt_status(t.root.url, NULL);
	ck_assert_str_eq(json_string_value(json_object_get(dt_find(st, "b"), "state")), "stopped");
	json_decref(st);
	trio_down(&t);
}
END_TEST

START_TEST(root_over_intensity_fails_the_child)
{
	char *tmp = bpci_test_mkdtemp(), dir[1024];
	dt_daemon root;
	json_t *st, *e;
	long pid;

	snprintf(dir, sizeof(dir), "%s/root", tmp);
	dt_start(&root, dir, "root", "--max-restarts", "0", "--heartbeat-interval", "300ms", NULL);
	dt_add_child(root.url, root.token, "only", "permanent");
	pid = dt_wait_state(root.url, "only", "running", 0, 1, 15000);
	ck_assert_int_eq(kill((pid_t)pid, SIGKILL), 0);
	(void)dt_wait_state(root.url, "only", "failed", 0, 0, 5000);
	dt_sleep_ms(500);
	st = dt_status(root.url, NULL);
	e = dt_find(st, "only");
	ck_assert_str_eq(json_string_value(json_object_get(e, "state")), "failed");
	ck_assert_int_eq(json_integer_value(json_object_get(e, "pid")), 0);
	ck_assert_str_eq(json_string_value(json_object_get(e, "last_exit")),
			 "restart intensity exceeded: more than 0 restarts within 5000 ms");
	json_decref(st);
	/* the root itself stays up: nobody above it */
	ck_assert(dt_alive(root.pid));
	ck_assert_int_eq(dt_stop(&root), 0);
	dt_free(&root);
	bpci_test_rmtree(tmp);
	free(tmp);
}
END_TEST

void dt_add_strategy_tests(Suite *s)
{
	TCase *tc = tcase_create("strategy");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, one_for_all_restarts_every_sibling);
	tcase_add_test(tc, rest_for_one_restarts_later_siblings);
	tcase_add_test(tc, one_for_one_restarts_the_child_alone);
	tcase_add_test(tc, temporary_child_is_not_restarted);
	tcase_add_test(tc, transient_child_ending_normally_stays_stopped);
	tcase_add_test(tc, root_over_intensity_fails_the_child);
	suite_add_tcase(s, tc);
}
