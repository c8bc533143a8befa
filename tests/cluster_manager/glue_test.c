/* End to end, real processes: a cluster manager whose daemon tree is made
 * of real bpi-core daemons (local ones spawned by their parents, a remote
 * one started by hand), kill -9 of a mid-level daemon (restarted, nodes
 * re-adopted), kill -9 of a remote daemon (its replica fails over), and
 * the journal and state surviving a manager restart. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cm_test.h"

START_TEST(local_levels_restart_and_replay)
{
	char *dir = bpci_test_mkdtemp(), log[4200], *url, *token, where[128], path[4300];
	const char *add1[] = {"daemon-tree", "add-daemon", "--daemon-id", "mid", "--parent-id",
			      "root", "--responsibilities", "node_lifecycle,health_monitoring",
			      "--capacity", "cpu=500m,memory=1Gi,storage=2Gi", NULL};
	const char *add2[] = {"daemon-tree", "add-daemon", "--daemon-id", "leaf", "--parent-id",
			      "mid", "--responsibilities", "node_lifecycle", NULL};
	const char *js[] = {"daemon-tree", "status", "--output", "json", NULL};
	const char *ghost[] = {"daemon-tree", "add-daemon", "--daemon-id", "ghost", "--parent-id",
			       "root", "--remote", NULL};
	const char *orphan[] = {"daemon-tree", "add-daemon", "--daemon-id", "orphan",
				"--parent-id", "ghost", NULL};
	bpci_test_run r;
	json_t *tree, *e;
	long mid, leaf, rep, mid2;
	pid_t mgr;

	snprintf(log, sizeof(log), "%s.manager.log", dir);
	mgr = cm_p_spawn_manager(dir, log);
	url = cm_p_file_line(dir, "api.url");
	token = cm_p_file_line(dir, "api.token");
	cm_p_cli(&r, dir, add1);
	ck_assert_msg(r.status == 0, "add mid: %s", r.err);
	bpci_test_run_free(&r);
	mid = cm_p_wait_daemon(url, "mid", "running", 0);
	cm_p_cli(&r, dir, add2);
	ck_assert_msg(r.status == 0, "add leaf: %s", r.err);
	bpci_test_run_free(&r);
	leaf = cm_p_wait_daemon(url, "leaf", "running", 0);
	ck_assert(cm_p_alive(mid) && cm_p_alive(leaf) && mid != leaf);
	/* Links are measured once heartbeats flowed for a while. */
	usleep(1500 * 1000);
	cm_p_cli(&r, dir, js);
	ck_assert_int_eq(r.status, 0);
	tree = json_loads(r.out, 0, NULL);
	ck_assert_ptr_nonnull(tree);
	e = cm_p_find(tree, "leaf");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(json_string_value(json_object_get(e, "state")), "running");
	ck_assert_str_eq(json_string_value(json_object_get(e, "parent_id")), "mid");
	ck_assert_int_eq(json_integer_value(json_object_get(e, "pid")), leaf);
	ck_assert_int_ge(json_integer_value(json_object_get(json_object_get(e, "link"),
							    "heartbeats")), 1);
	ck_assert(json_number_value(json_object_get(json_object_get(e, "link"), "rtt_ms")) >= 0);
	e = cm_p_find(tree, "mid");
	ck_assert_int_eq(json_integer_value(json_object_get(e, "level")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "pid")), mid);
	json_decref(tree);
	bpci_test_run_free(&r);

	/* A replica on the mid-level daemon; kill -9 that daemon: its parent
	 * (the root) restarts it, and it re-adopts its node and its child. */
	rep = cm_p_replica_onto(dir, url, token, "mid");
	ck_assert(kill((pid_t)mid, SIGKILL) == 0);
	mid2 = cm_p_wait_daemon(url, "mid", "running", mid);
	ck_assert_int_ne(mid2, mid);
	ck_assert_int_eq(cm_p_replica_on(url, "replica-1", where, sizeof(where)), rep);
	ck_assert_str_eq(where, "mid");
	ck_assert_int_eq(cm_p_wait_daemon(url, "leaf", "running", 0), leaf);

	/* All or nothing: a local daemon under a parent that has not joined
	 * cannot be spawned, so nothing is recorded. */
	cm_p_cli(&r, dir, ghost);
	ck_assert_msg(r.status == 0, "add ghost: %s", r.err);
	bpci_test_run_free(&r);
	cm_p_cli(&r, dir, orphan);
	ck_assert_int_ne(r.status, 0);
	ck_assert_msg(strstr(r.err, "parent \"ghost\" of local daemon \"orphan\" has not joined "
			  "yet") != NULL, "%s", r.err);
	bpci_test_run_free(&r);
	/* An escalation report is journaled. */
	{
		char *resp = NULL;

		ck_assert_int_eq(bpci_cluster_request(&resp, url, token, "POST",
						      "/api/daemon-tree/escalate",
						      "{\"daemon_id\":\"mid\",\"child_id\":\"leaf\","
						      "\"reason\":\"test\"}", NULL), 0);
		bpci_free(resp);
	}

	/* The manager dies (kill -9: nothing stops) and restarts: the
	 * journaled tree and replicas are back, the daemons (still running)
	 * are re-adopted, not started twice. */
	ck_assert(kill(mgr, SIGKILL) == 0);
	waitpid(mgr, NULL, 0);
	snprintf(path, sizeof(path), "%s/api.url", dir);
	unlink(path); /* the dead manager's */
	ck_assert_uint_eq(cm_count_type(dir, "daemon.added"), 3);
	ck_assert_uint_eq(cm_count_type(dir, "daemon.escalated"), 1);
	ck_assert_uint_eq(cm_count_type(dir, "replica.added"), 1);
	ck_assert_uint_eq(cm_count_type(dir, "replica.moved"), 1);
	ck_assert_uint_ge(cm_count_type(dir, "daemon.state"), 3);
	mgr = cm_p_spawn_manager(dir, log);
	free(url);
	url = cm_p_file_line(dir, "api.url");
	ck_assert_int_eq(cm_p_wait_daemon(url, "mid", "running", 0), mid2);
	ck_assert_int_eq(cm_p_wait_daemon(url, "leaf", "running", 0), leaf);
	ck_assert_int_eq(cm_p_replica_on(url, "replica-1", where, sizeof(where)), rep);
	ck_assert_str_eq(where, "mid");
	tree = cm_p_get_json(url, "/api/daemon-tree/status");
	ck_assert_ptr_nonnull(cm_p_find(tree, "ghost"));
	ck_assert_ptr_null(cm_p_find(tree, "orphan"));
	json_decref(tree);
	/* A clean stop stops the local subtree with it. */
	cm_p_stop_child(mgr);
	ck_assert_uint_eq(cm_count_type(dir, "daemon.added"), 3);
	ck_assert_uint_eq(cm_count_type(dir, "replica.moved"), 1);
	{
		double t0 = cm_p_mono();

		while (cm_p_mono() - t0 < 30.0 &&
		       (cm_p_alive(mid2) || cm_p_alive(leaf) || cm_p_alive(rep)))
			usleep(50 * 1000);
	}
	ck_assert(!cm_p_alive(mid2) && !cm_p_alive(leaf) && !cm_p_alive(rep));
	free(url);
	free(token);
	unlink(log);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(remote_daemon_fails_over)
{
	char *dir = bpci_test_mkdtemp(), *rdir = bpci_test_mkdtemp(), log[4200], rlog[4200];
	char *url, *token, where[128] = "";
	const char *add[] = {"daemon-tree", "add-daemon", "--daemon-id", "far", "--parent-id",
			     "root", "--responsibilities", "node_lifecycle", "--capacity",
			     "cpu=8,memory=16Gi,storage=100Gi", "--remote", NULL};
	const char *metrics[] = {"cluster-manager", "metrics", "--output", "json", NULL};
	bpci_test_run r;
	json_t *m;
	long rep, now_pid = 0;
	double t0, took;
	pid_t mgr, far;

	snprintf(log, sizeof(log), "%s.manager.log", dir);
	snprintf(rlog, sizeof(rlog), "%s.far.log", dir);
	mgr = cm_p_spawn_manager(dir, log);
	url = cm_p_file_line(dir, "api.url");
	token = cm_p_file_line(dir, "api.token");
	cm_p_cli(&r, dir, add);
	ck_assert_msg(r.status == 0, "add far: %s", r.err);
	bpci_test_run_free(&r);
	/* Only daemons of the tree join the root. */
	{
		bpci_diag *diag = NULL;
		char *resp = NULL;

		bpci_diag_new(&diag);
		ck_assert_int_eq(bpci_cluster_request(&resp, url, token, "POST",
						      "/api/daemon-tree/join",
						      "{\"daemon_id\":\"nobody\",\"url\":"
						      "\"http://127.0.0.1:1\",\"remote\":true}", diag),
				 BPCI_ENOTFOUND);
		ck_assert_uint_ge(bpci_diag_count(diag), 1);
		ck_assert_ptr_nonnull(strstr(bpci_diag_get(diag, 0)->message,
					     "daemon \"nobody\" is not in the tree"));
		bpci_diag_free(diag);
		bpci_free(resp);
	}
	{
		const char *args[] = {"node-coordinator", "start", "--daemon-id", "far", "--join",
				      url, "--join-token", token, "--remote", "--state-dir",
				      rdir, "--listen", "127.0.0.1:0", NULL};

		far = cm_p_spawn("bpi-core", args, rlog);
	}
	ck_assert_int_eq(cm_p_wait_daemon(url, "far", "running", 0), far);
	rep = cm_p_replica_onto(dir, url, token, "far");

	/* The host is lost: the daemon and its node die at once. */
	ck_assert(kill(far, SIGKILL) == 0);
	kill((pid_t)rep, SIGKILL);
	waitpid(far, NULL, 0);
	t0 = cm_p_mono();
	while (cm_p_mono() - t0 < 15.0 &&
	       ((now_pid = cm_p_replica_on(url, "replica-1", where, sizeof(where))) == 0 ||
		!strcmp(where, "far")))
		usleep(50 * 1000);
	took = cm_p_mono() - t0;
	printf("remote daemon killed -> replica running on \"%s\" after %.2f s\n", where, took);
	ck_assert_msg(strcmp(where, "far") != 0 && now_pid > 0,
		      "the replica did not fail over within 15 s (on %s)", where);
	ck_assert_int_ne(now_pid, rep);
	/* Not before the failover timeout (3 s of silence, heartbeats 1 s). */
	ck_assert(took >= 1.5 && took < 15.0);
	cm_p_wait_daemon(url, "far", "failed", 0);
	cm_p_cli(&r, dir, metrics);
	ck_assert_int_eq(r.status, 0);
	m = json_loads(r.out, 0, NULL);
	ck_assert_ptr_nonnull(m);
	ck_assert(json_real_value(json_object_get(m, "daemon_tree_health")) == 0.5);
	json_decref(m);
	bpci_test_run_free(&r);
	cm_p_stop_child(mgr);
	ck_assert_uint_eq(cm_count_type(dir, "daemon.failed"), 1);
	ck_assert_uint_eq(cm_count_type(dir, "replica.moved"), 2);
	ck_assert(!cm_p_alive(now_pid));
	free(url);
	free(token);
	unlink(log);
	unlink(rlog);
	bpci_test_rmtree(rdir);
	bpci_test_rmtree(dir);
	free(rdir);
	free(dir);
}
END_TEST

/* A remote daemon under a LOCAL mid-level daemon: it joins that daemon,
 * is relayed to the manager in its heartbeats, and when it dies the
 * relayed "failed" state makes the manager fail its replica over. */
START_TEST(relayed_remote_daemon_fails_over)
{
	char where[128] = "";
	long rep, now_pid = 0;
	double t0, took;
	cm_p_env t;

	cm_p_start_mid(&t, "node_lifecycle,fault_recovery");
	cm_p_join_remote(&t, "deep", "mid");
	rep = cm_p_replica_onto(t.dir, t.url, t.token, "deep");

	ck_assert(kill(t.remote, SIGKILL) == 0);
	kill((pid_t)rep, SIGKILL);
	waitpid(t.remote, NULL, 0);
	t0 = cm_p_mono();
	while (cm_p_mono() - t0 < 15.0 &&
	       ((now_pid = cm_p_replica_on(t.url, "replica-1", where, sizeof(where))) == 0 ||
		!strcmp(where, "deep")))
		usleep(50 * 1000);
	took = cm_p_mono() - t0;
	printf("relayed remote daemon killed -> replica running on \"%s\" after %.2f s\n", where,
	       took);
	ck_assert_msg(strcmp(where, "deep") != 0 && now_pid > 0,
		      "the replica did not fail over within 15 s (on %s)", where);
	ck_assert(took >= 1.5 && took < 15.0);
	cm_p_wait_daemon(t.url, "deep", "failed", 0);
	cm_p_stop_child(t.mgr);
	ck_assert_uint_eq(cm_count_type(t.dir, "daemon.failed"), 1);
	ck_assert_uint_eq(cm_count_type(t.dir, "replica.moved"), 2);
	cm_p_stop_daemon(t.mid);
	ck_assert(!cm_p_alive(now_pid));
	cm_p_env_free(&t);
}
END_TEST

void cm_add_glue(Suite *s)
{
	TCase *tc = tcase_create("glue");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, local_levels_restart_and_replay);
	tcase_add_test(tc, remote_daemon_fails_over);
	tcase_add_test(tc, relayed_remote_daemon_fails_over);
	suite_add_tcase(s, tc);
}
