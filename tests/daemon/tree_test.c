/*
 * A real three-level tree of local daemons (root -> mid -> leaf): joined
 * and heartbeating; kill -9 of the middle daemon (restarted by the root,
 * its node and its child re-adopted with the same pids); escalation of a
 * daemon whose child exceeds the restart intensity (exit 75, restarted by
 * its parent); a remote daemon that dies is failed within the failover
 * timeout.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "bpci.h"
#include "daemon_test.h"

typedef struct tree {
	char *tmp;
	dt_daemon root;
	char *mid_dir, *mid_url, *mid_token;
} tree;

/* root (heartbeats every 300 ms) -> mid -> leaf, all running. */
static void tree_up(tree *t, const char *leaf_restart)
{
	char dir[1024];

	memset(t, 0, sizeof(*t));
	t->tmp = bpci_test_mkdtemp();
	snprintf(dir, sizeof(dir), "%s/root", t->tmp);
	dt_start(&t->root, dir, "root", "--heartbeat-interval", "300ms", "--failover-timeout",
		 "1s", NULL);
	dt_add_child(t->root.url, t->root.token, "mid", "permanent");
	(void)dt_wait_state(t->root.url, "mid", "running", 0, 1, 15000);
	ck_assert(asprintf(&t->mid_dir, "%s/root/daemons/mid", t->tmp) > 0);
	dt_read_url(t->mid_dir, &t->mid_url, &t->mid_token);
	dt_add_child(t->mid_url, t->mid_token, "leaf", leaf_restart);
	(void)dt_wait_state(t->root.url, "leaf", "running", 0, 1, 15000);
}

static void tree_down(tree *t)
{
	int st = dt_stop(&t->root);

	ck_assert_int_eq(st, 0);
	dt_free(&t->root);
	free(t->mid_dir);
	free(t->mid_url);
	free(t->mid_token);
	bpci_test_rmtree(t->tmp);
	free(t->tmp);
}

START_TEST(three_levels_join_and_heartbeat)
{
	tree t;
	json_t *full, *open, *mid, *leaf;
	char u[512], *metrics = NULL;
	long hb;

	tree_up(&t, "permanent");
	/* every link carries heartbeats, relayed up to the root */
	(void)dt_wait_state(t.root.url, "leaf", "running", 0, 3, 10000);
	full = dt_status(t.root.url, t.root.token);
	ck_assert_str_eq(json_string_value(json_object_get(full, "daemon_id")), "root");
	ck_assert(json_is_null(json_object_get(full, "parent_id")));
	mid = dt_find(full, "mid");
	leaf = dt_find(full, "leaf");
	ck_assert_ptr_nonnull(mid);
	ck_assert_ptr_nonnull(leaf);
	ck_assert_str_eq(json_string_value(json_object_get(mid, "parent_id")), "root");
	ck_assert_str_eq(json_string_value(json_object_get(leaf, "parent_id")), "mid");
	ck_assert_str_eq(json_string_value(json_object_get(mid, "url")), t.mid_url);
	ck_assert_str_eq(json_string_value(json_object_get(mid, "token")), t.mid_token);
	ck_assert(json_is_false(json_object_get(mid, "remote")));
	hb = (long)json_integer_value(json_object_get(json_object_get(mid, "link"), "heartbeats"));
	ck_assert_int_ge(hb, 1);
	ck_assert_int_ge(json_integer_value(json_object_get(json_object_get(mid, "link"), "rtt_ms")),
			 0);
	ck_assert_int_lt(json_integer_value(json_object_get(json_object_get(mid, "link"), "rtt_ms")),
			 1000);
	ck_assert_int_ge(json_integer_value(json_object_get(json_object_get(mid, "link"),
							    "last_heartbeat_ms_ago")), 0);
	ck_assert_int_le(json_integer_value(json_object_get(json_object_get(mid, "link"),
							    "last_heartbeat_ms_ago")), 1500);
	json_decref(full);
	/* without the token nobody's token shows */
	open = dt_status(t.root.url, NULL);
	ck_assert_ptr_null(json_object_get(dt_find(open, "mid"), "token"));
	ck_assert_ptr_null(json_object_get(dt_find(open, "leaf"), "token"));
	ck_assert_ptr_nonnull(dt_find(open, "leaf"));
	json_decref(open);
	/* link metrics */
	snprintf(u, sizeof(u), "%s/metrics", t.root.url);
	ck_assert_int_eq(dt_http("GET", u, NULL, NULL, &metrics), 200);
	ck_assert_ptr_nonnull(strstr(metrics, "bpci_daemon_link_rtt_seconds{daemon_id=\"mid\","
					      "direction=\"child\"} "));
	ck_assert_ptr_nonnull(strstr(metrics, "bpci_daemon_link_heartbeats_total{daemon_id=\"mid\""));
	ck_assert_ptr_nonnull(strstr(metrics, "bpci_daemon_link_errors_total{daemon_id=\"mid\""));
	ck_assert_ptr_nonnull(strstr(metrics, "bpci_daemon_children{state=\"running\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(metrics, "bpci_daemon_children{state=\"failed\"} 0\n"));
	free(metrics);
	snprintf(u, sizeof(u), "%s/metrics", t.mid_url);
	ck_assert_int_eq(dt_http("GET", u, NULL, NULL, &metrics), 200);
	ck_assert_ptr_nonnull(strstr(metrics, "bpci_daemon_link_heartbeats_total{daemon_id=\"mid\","
					      "direction=\"parent\"} "));
	free(metrics);
	tree_down(&t);
}
END_TEST

START_TEST(kill_middle_daemon_readopts_with_same_pids)
{
	tree t;
	long node_pid, leaf_pid, mid_pid, mid2, leaf_hb;
	json_t *s, *mid;

	tree_up(&t, "permanent");
	node_pid = dt_start_node(t.mid_url, t.mid_token, "store-1");
	leaf_pid = dt_wait_state(t.root.url, "leaf", "running", 0, 1, 10000);
	mid_pid = dt_wait_state(t.root.url, "mid", "running", 0, 1, 10000);
	ck_assert_int_eq(kill((pid_t)mid_pid, SIGKILL), 0);
	mid2 = dt_wait_state(t.root.url, "mid", "running", mid_pid, 0, 10000);
	ck_assert_int_ne(mid2, mid_pid);
	s = dt_status(t.root.url, NULL);
	mid = dt_find(s, "mid");
	ck_assert_int_eq(json_integer_value(json_object_get(mid, "restarts")), 1);
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(mid, "last_exit")),
				     "killed by signal 9"));
	/* same URL: its own child keeps reaching it */
	ck_assert_str_eq(json_string_value(json_object_get(mid, "url")), t.mid_url);
	json_decref(s);
	/* its node and its child daemon were re-adopted, not restarted */
	ck_assert_int_eq(dt_node_pid(t.mid_url, "store-1"), node_pid);
	ck_assert(dt_alive(node_pid));
	s = dt_status(t.mid_url, NULL);
	leaf_hb = (long)json_integer_value(
		json_object_get(json_object_get(dt_find(s, "leaf"), "link"), "heartbeats"));
	json_decref(s);
	ck_assert_int_eq(dt_wait_state(t.mid_url, "leaf", "running", 0, leaf_hb + 2, 5000),
			 leaf_pid);
	ck_assert_int_eq(dt_wait_state(t.root.url, "leaf", "running", 0, 0, 5000), leaf_pid);
	tree_down(&t);
	/* the shutdown stopped the node too */
	ck_assert(!dt_alive(node_pid));
}
END_TEST

START_TEST(child_over_intensity_escalates_to_grandparent)
{
	tree t;
	long mid_pid, leaf_pid, mid2;
	int i;
	json_t *s, *mid;
	char *err;

	tree_up(&t, "permanent");
	mid_pid = dt_wait_state(t.root.url, "mid", "running", 0, 0, 10000);
	leaf_pid = dt_wait_state(t.mid_url, "leaf", "running", 0, 0, 10000);
	/* the 4th restart within 5 s exceeds mid's default intensity (3 in 5 s) */
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(kill((pid_t)leaf_pid, SIGKILL), 0);
		leaf_pid = dt_wait_state(t.mid_url, "leaf", NULL, leaf_pid, 0, 3000);
		ck_assert_int_gt(leaf_pid, 0);
	}
	ck_assert_int_eq(kill((pid_t)leaf_pid, SIGKILL), 0);
	/* mid gives up, exits 75, and the root restarts it with its child */
	mid2 = dt_wait_state(t.root.url, "mid", "running", mid_pid, 0, 15000);
	s = dt_status(t.root.url, NULL);
	mid = dt_find(s, "mid");
	ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(mid, "last_exit")),
				     "exited with status 75"));
	ck_assert_int_eq(json_integer_value(json_object_get(mid, "restarts")), 1);
	json_decref(s);
	err = dt_slurp(t.root.err);
	ck_assert_ptr_nonnull(strstr(err, "child mid escalates (its child leaf): restart "
					  "intensity exceeded: more than 3 restarts within 5000 ms"));
	free(err);
	ck_assert_int_ne(mid2, mid_pid);
	ck_assert_int_gt(dt_wait_state(t.root.url, "leaf", "running", leaf_pid, 1, 15000), 0);
	tree_down(&t);
}
END_TEST

START_TEST(remote_daemon_failed_within_failover_timeout)
{
	tree t;
	dt_daemon far;
	char dir[1024], u[512], *answer = NULL;
	double t0, took;
	json_t *s, *e;

	memset(&t, 0, sizeof(t));
	t.tmp = bpci_test_mkdtemp();
	snprintf(dir, sizeof(dir), "%s/root", t.tmp);
	dt_start(&t.root, dir, "root", "--heartbeat-interval", "300ms", "--failover-timeout",
		 "1s", NULL);
	snprintf(dir, sizeof(dir), "%s/far", t.tmp);
	dt_start(&far, dir, "far", "--join", t.root.url, "--join-token", t.root.token, "--remote",
		 NULL);
	(void)dt_wait_state(t.root.url, "far", "running", 0, 2, 10000);
	s = dt_status(t.root.url, NULL);
	e = dt_find(s, "far");
	ck_assert(json_is_true(json_object_get(e, "remote")));
	ck_assert_int_eq(json_integer_value(json_object_get(e, "pid")), far.pid);
	json_decref(s);
	/* another daemon cannot take a live id */
	snprintf(u, sizeof(u), "%s/api/daemon-tree/join", t.root.url);
	ck_assert_int_eq(dt_http("POST", u, t.root.token,
				 "{\"daemon_id\":\"far\",\"url\":\"http://127.0.0.1:9\",\"pid\":1}",
				 &answer), 409);
	ck_assert_ptr_nonnull(strstr(answer, "\"field\":\"daemon_id\""));
	free(answer);
	kill(far.pid, SIGKILL);
	t0 = dt_now();
	(void)dt_wait_state(t.root.url, "far", "failed", 0, 0, 5000);
	took = dt_now() - t0;
	ck_assert_msg(took <= 1.0 + 0.3 + 0.5, "failed after %.2f s", took);
	ck_assert_msg(took >= 0.5, "failed too early, after %.2f s", took);
	waitpid(far.pid, NULL, 0);
	far.pid = 0;
	dt_free(&far);
	tree_down(&t);
}
END_TEST

void dt_add_tree_tests(Suite *s)
{
	TCase *tc = tcase_create("tree");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, three_levels_join_and_heartbeat);
	tcase_add_test(tc, kill_middle_daemon_readopts_with_same_pids);
	tcase_add_test(tc, child_over_intensity_escalates_to_grandparent);
	tcase_add_test(tc, remote_daemon_failed_within_failover_timeout);
	suite_add_tcase(s, tc);
}
