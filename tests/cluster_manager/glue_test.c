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
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cm_test.h"

/* Wait until @id's entry in the manager's status carries an ok probe. */
static void wait_probed(const char *url, const char *id)
{
	double t0 = cm_p_mono();
	json_t *st = NULL, *p = NULL;

	while (cm_p_mono() - t0 < 30.0) {
		json_decref(st);
		st = cm_p_get_json(url, "/api/daemon-tree/status");
		p = st ? json_object_get(cm_p_find(st, id), "probe") : NULL;
		if (json_is_true(json_object_get(p, "ok")))
			break;
		usleep(150 * 1000);
	}
	ck_assert_msg(json_is_true(json_object_get(p, "ok")), "%s was not probed ok within 30 s",
		      id);
	ck_assert(json_real_value(json_object_get(p, "latency_ms")) >= 0.0);
	json_decref(st);
}

/* Wait until daemon @id's own status says its responsibilities are
 * exactly [@resp] (it is found through the manager's status). */
static void wait_learns(const char *url, const char *id, const char *resp)
{
	double t0 = cm_p_mono();
	char path[4300];
	json_t *st = NULL, *mine = NULL, *r = NULL;

	while (cm_p_mono() - t0 < 30.0) {
		json_decref(st);
		json_decref(mine);
		mine = NULL;
		st = cm_p_get_json(url, "/api/daemon-tree/status");
		r = st ? json_object_get(cm_p_find(st, id), "url") : NULL;
		if (json_string_value(r)) {
			snprintf(path, sizeof(path), "%s", json_string_value(r));
			mine = cm_p_get_json(path, "/api/daemon-tree/status");
		}
		r = json_object_get(mine, "responsibilities");
		if (json_array_size(r) == 1 && json_string_value(json_array_get(r, 0)) &&
		    !strcmp(json_string_value(json_array_get(r, 0)), resp))
			break;
		usleep(150 * 1000);
	}
	ck_assert_msg(json_array_size(r) == 1 && json_string_value(json_array_get(r, 0)) &&
			      !strcmp(json_string_value(json_array_get(r, 0)), resp),
		      "%s did not learn its responsibilities within 30 s", id);
	json_decref(mine);
	json_decref(st);
}

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
	/* mid has health_monitoring, which it learnt from its join reply (it
	 * is started without its spec): it probes leaf, and the probe comes
	 * up relayed in the tree's status. leaf probes nothing. */
	wait_probed(url, "leaf");

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
	double took;
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
	now_pid = cm_p_fail_host(url, far, rep, "replica-1", "far", where, sizeof(where), &took);
	printf("remote daemon killed -> replica running on \"%s\" after %.2f s\n", where, took);
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
	double took;
	cm_p_env t;

	cm_p_start_mid(&t, "node_lifecycle,fault_recovery");
	cm_p_join_remote(&t, "deep", "mid");
	/* Started without its spec, under a parent that has none for it
	 * either: it learns its responsibilities from the model, pushed down
	 * through mid's heartbeat replies. */
	wait_learns(t.url, "deep", "node_lifecycle");
	rep = cm_p_replica_onto(t.dir, t.url, t.token, "deep");

	now_pid = cm_p_fail_host(t.url, t.remote, rep, "replica-1", "deep", where, sizeof(where),
				 &took);
	printf("relayed remote daemon killed -> replica running on \"%s\" after %.2f s\n", where,
	       took);
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


/* A node program whose replica-1 takes 10 s to become ready (the others
 * start at once): a slow make-before-break move. */
static char *slow_program(const char *dir)
{
	char rel[4096], real[4096], *path = malloc(4300);
	FILE *f;

	snprintf(rel, sizeof(rel), "%s/bin/bpci-node", bpci_test_build_dir());
	ck_assert_ptr_nonnull(realpath(rel, real));
	snprintf(path, 4300, "%s/slow-node.sh", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\n[ \"$BPCI_NODE_ID\" = replica-1 ] && sleep 10\nexec %s \"$@\"\n",
		real);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0700), 0);
	return path;
}

static void rebalance_in_child(pid_t *child, const char *url, const char *token,
			       const char *body)
{
	*child = fork();
	ck_assert_int_ge(*child, 0);
	if (*child == 0) {
		char *resp = NULL;
		int rc = bpci_cluster_request(&resp, url, token, "POST",
					      "/api/daemon-tree/rebalance", body, NULL);

		if (resp && rc == 0)
			printf("rebalance answered: %s\n", resp);
		fflush(stdout);
		_exit(rc == 0 ? 0 : 1);
	}
}

static long add_replica(const char *dir, const char *url, const char *name, const char *id,
			char *where, size_t size)
{
	const char *add[] = {"cluster-manager", "add-replica", "--name", name, "--cpu-cores",
			     "0.1", "--memory-gb", "0.1", "--storage-gb", "0.1", NULL};
	bpci_test_run r;
	double t0 = cm_p_mono();
	long pid = 0;

	cm_p_cli(&r, dir, add);
	ck_assert_msg(r.status == 0, "add-replica %s: %s", id, r.err);
	bpci_test_run_free(&r);
	while (cm_p_mono() - t0 < 20.0 && (pid = cm_p_replica_on(url, id, where, size)) == 0)
		usleep(50 * 1000);
	ck_assert_int_gt(pid, 0);
	return pid;
}

/* A rebalance whose move waits 10 s for its new instance is under way
 * when a remote daemon dies: the dead daemon's replica runs elsewhere
 * within the failover target (5 s with 1 s heartbeats), while the
 * rebalance still waits; the rebalance then finishes its move. */
START_TEST(failover_during_slow_rebalance)
{
	char where[128] = "", body[512], *slow_dir = bpci_test_mkdtemp(), slog[4300];
	char *script, *slow_url, *slow_token;
	long rep2 = 0, now_pid = 0, rep1_slow = 0;
	double t0, took;
	pid_t slow, child, got;
	int status = -1;
	cm_p_env t;

	cm_p_start_mid(&t, "node_lifecycle");
	/* replica-1 (the one to move slowly) and replica-2 start on the root
	 * or mid, before the remote daemons exist. */
	add_replica(t.dir, t.url, "enc-slow", "replica-1", where, sizeof(where));
	ck_assert_int_gt(cm_p_replica_on(t.url, "replica-1", where, sizeof(where)), 0);
	{
		char w1[128];

		snprintf(w1, sizeof(w1), "%s", where);
		add_replica(t.dir, t.url, "enc-far", "replica-2", where, sizeof(where));
		cm_p_join_remote(&t, "far", "root");
		snprintf(body, sizeof(body), "{\"steps\":[{\"action\":\"move_node\",\"node\":"
			 "\"replica-2\",\"from\":\"%s\",\"to\":\"far\"}]}", where);
		{
			char *resp = NULL;

			ck_assert_int_eq(bpci_cluster_request(&resp, t.url, t.token, "POST",
							      "/api/daemon-tree/rebalance", body,
							      NULL), 0);
			bpci_free(resp);
		}
		t0 = cm_p_mono();
		while (cm_p_mono() - t0 < 20.0 &&
		       ((rep2 = cm_p_replica_on(t.url, "replica-2", where, sizeof(where))) == 0 ||
			strcmp(where, "far") != 0))
			usleep(50 * 1000);
		ck_assert_str_eq(where, "far");
		/* The slow target: a second remote daemon with the slow program. */
		{
			const char *add[] = {"daemon-tree", "add-daemon", "--daemon-id", "slow",
					     "--parent-id", "root", "--responsibilities",
					     "node_lifecycle", "--capacity",
					     "cpu=8,memory=16Gi,storage=100Gi", "--remote", NULL};
			bpci_test_run r;

			cm_p_cli(&r, t.dir, add);
			ck_assert_msg(r.status == 0, "add slow: %s", r.err);
			bpci_test_run_free(&r);
		}
		script = slow_program(slow_dir);
		snprintf(slog, sizeof(slog), "%s.slow.log", slow_dir);
		{
			const char *args[] = {"node-coordinator", "start", "--daemon-id", "slow",
					      "--join", t.url, "--join-token", t.token, "--remote",
					      "--state-dir", slow_dir, "--listen", "127.0.0.1:0",
					      "--node-program", script, NULL};

			slow = cm_p_spawn("bpi-core", args, slog);
		}
		ck_assert_int_eq(cm_p_wait_daemon(t.url, "slow", "running", 0), slow);
		slow_url = cm_p_file_line(slow_dir, "api.url");
		slow_token = cm_p_file_line(slow_dir, "api.token");
		snprintf(body, sizeof(body), "{\"steps\":[{\"action\":\"move_node\",\"node\":"
			 "\"replica-1\",\"from\":\"%s\",\"to\":\"slow\"}]}", w1);
	}
	rebalance_in_child(&child, t.url, t.token, body);
	/* The move is under way once slow has the new instance. */
	t0 = cm_p_mono();
	for (;;) {
		bpci_client *cl = NULL;
		bpci_node_status *st = NULL;
		int found;
		bpci_client_options co = BPCI_CLIENT_OPTIONS_INIT;

		co.url = slow_url;
		co.token = slow_token;
		ck_assert_int_eq(bpci_client_new(&cl, &co, NULL), 0);
		found = bpci_client_get_node(&st, cl, "replica-1", NULL) == 0;
		bpci_node_status_free(st);
		bpci_client_free(cl);
		if (found)
			break;
		ck_assert_msg(cm_p_mono() - t0 < 20.0, "the move to slow never started");
		usleep(50 * 1000);
	}

	/* far's host is lost while the rebalance waits. */
	now_pid = cm_p_fail_host(t.url, t.remote, rep2, "replica-2", "far", where, sizeof(where),
				 &took);
	printf("remote daemon killed during a slow rebalance -> replica running on \"%s\" "
	       "after %.2f s\n", where, took);
	ck_assert_int_ne(now_pid, rep2);
	ck_assert_msg(took < 5.0, "failover took %.2f s, over the 5 s target", took);
	/* The rebalance was still waiting for its new instance. */
	ck_assert_int_eq(waitpid(child, &status, WNOHANG), 0);
	/* It then finishes its move. */
	t0 = cm_p_mono();
	while ((got = waitpid(child, &status, WNOHANG)) == 0 && cm_p_mono() - t0 < 30.0)
		usleep(50 * 1000);
	ck_assert_int_eq(got, child);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "rebalance status %d",
		      status);
	rep1_slow = cm_p_replica_on(t.url, "replica-1", where, sizeof(where));
	ck_assert_str_eq(where, "slow");
	ck_assert_int_gt(rep1_slow, 0);

	cm_p_stop_child(t.mgr);
	/* replica-2 to far, replica-1 to slow, replica-2's failover. */
	ck_assert_uint_eq(cm_count_type(t.dir, "replica.moved"), 3);
	ck_assert_uint_eq(cm_count_type(t.dir, "daemon.failed"), 1);
	cm_p_stop_child(slow);
	free(script);
	free(slow_url);
	free(slow_token);
	unlink(slog);
	bpci_test_rmtree(slow_dir);
	free(slow_dir);
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
	tc = tcase_create("slow_rebalance");
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, failover_during_slow_rebalance);
	suite_add_tcase(s, tc);
}
