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

#define WAIT_S 20.0

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static pid_t spawn(const char *prog_name, const char *const *args, const char *log)
{
	char prog[4096];
	const char *argv[32];
	size_t n = 0;
	pid_t pid;

	snprintf(prog, sizeof(prog), "%s/bin/%s", bpci_test_build_dir(), prog_name);
	argv[n++] = prog;
	for (; *args; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int in = open("/dev/null", O_RDWR);
		int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(in, 0);
		dup2(out, 1);
		dup2(out, 2);
		execv(prog, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

static pid_t spawn_manager(const char *dir, const char *log)
{
	const char *args[] = {"cluster-manager", "start", "--cluster-id", "glue", "--state-dir",
			      dir, "--listen", "127.0.0.1:0", NULL};

	return spawn("bpci-enterprise", args, log);
}

/* DIR/NAME's first line, waiting for the file; malloc'd. */
static char *file_line(const char *dir, const char *name)
{
	char path[4200], buf[512];
	double t0 = mono();
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	while (access(path, F_OK) != 0 && mono() - t0 < WAIT_S)
		usleep(20 * 1000);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "no %s", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return strdup(buf);
}

static void cli(bpci_test_run *r, const char *dir, const char *const *words)
{
	const char *argv[32];
	size_t n = 0;

	for (; words[n]; n++)
		argv[n] = words[n];
	argv[n++] = "--state-dir";
	argv[n++] = dir;
	argv[n] = NULL;
	bpci_test_run_program(r, "bpci-enterprise", argv);
}

static json_t *get_json(const char *url, const char *path)
{
	char *resp = NULL;
	json_t *j = NULL;

	if (bpci_cluster_request(&resp, url, NULL, "GET", path, NULL, NULL) == 0 && resp)
		j = json_loads(resp, 0, NULL);
	bpci_free(resp);
	return j;
}

/* The SUBTREE entry of daemon @id under @e, or NULL (borrowed). */
static json_t *find(json_t *e, const char *id)
{
	json_t *k, *hit;
	size_t i;

	if (!e)
		return NULL;
	if (json_is_string(json_object_get(e, "daemon_id")) &&
	    !strcmp(json_string_value(json_object_get(e, "daemon_id")), id))
		return e;
	json_array_foreach(json_object_get(e, "children"), i, k)
		if ((hit = find(k, id)) != NULL)
			return hit;
	return NULL;
}

/* Wait until daemon @id is in @state with a pid other than @not_pid;
 * returns its pid. */
static long wait_daemon(const char *url, const char *id, const char *state, long not_pid)
{
	double t0 = mono();
	long pid = 0;

	while (mono() - t0 < WAIT_S) {
		json_t *tree = get_json(url, "/api/daemon-tree/status"), *e = find(tree, id);

		if (e && !strcmp(json_string_value(json_object_get(e, "state")), state) &&
		    json_integer_value(json_object_get(e, "pid")) != not_pid)
			pid = (long)json_integer_value(json_object_get(e, "pid"));
		json_decref(tree);
		if (pid > 0)
			return pid;
		usleep(100 * 1000);
	}
	ck_abort_msg("daemon %s never became %s", id, state);
	return 0;
}

/* Replica @id's hosting daemon and pid when it runs (0 otherwise). */
static long replica_on(const char *url, const char *id, char *daemon, size_t size)
{
	json_t *j = get_json(url, "/api/replicas"), *r;
	long pid = 0;
	size_t i;

	json_array_foreach(json_object_get(j, "replicas"), i, r) {
		if (strcmp(json_string_value(json_object_get(r, "id")), id) != 0 ||
		    strcmp(json_string_value(json_object_get(r, "state")), "running") != 0)
			continue;
		snprintf(daemon, size, "%s", json_string_value(json_object_get(r, "daemon")));
		pid = (long)json_integer_value(json_object_get(r, "pid"));
	}
	json_decref(j);
	return pid;
}

/* Add a replica and move it onto @daemon; returns its pid there. */
static long replica_onto(const char *dir, const char *url, const char *token,
			 const char *daemon)
{
	const char *add[] = {"cluster-manager", "add-replica", "--name", "enc-glue",
			     "--cpu-cores", "0.25", "--memory-gb", "0.5", "--storage-gb", "1", NULL};
	char body[256], where[128] = "", *resp = NULL;
	double t0 = mono();
	bpci_diag *diag = NULL;
	bpci_test_run r;
	long pid = 0;
	int rc;

	cli(&r, dir, add);
	ck_assert_msg(r.status == 0, "add-replica: %s", r.err);
	bpci_test_run_free(&r);
	snprintf(body, sizeof(body), "{\"steps\":[{\"action\":\"move_node\",\"node\":"
		 "\"replica-1\",\"from\":\"root\",\"to\":\"%s\"}]}", daemon);
	bpci_diag_new(&diag);
	rc = bpci_cluster_request(&resp, url, token, "POST", "/api/daemon-tree/rebalance", body,
				  diag);
	ck_assert_msg(rc == 0, "move to %s: %s", daemon,
		      bpci_diag_count(diag) ? bpci_diag_get(diag, 0)->message : "?");
	bpci_diag_free(diag);
	bpci_free(resp);
	while (mono() - t0 < WAIT_S &&
	       ((pid = replica_on(url, "replica-1", where, sizeof(where))) == 0 ||
		strcmp(where, daemon) != 0))
		usleep(100 * 1000);
	ck_assert_str_eq(where, daemon);
	ck_assert_int_gt(pid, 0);
	return pid;
}

static int alive(long pid)
{
	return pid > 0 && kill((pid_t)pid, 0) == 0;
}

static void stop_child(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
}

/* SIGTERM a daemon that is not our child and wait for it to go (it stops
 * its own nodes and children first). */
static void stop_daemon(long pid)
{
	double t0 = mono();

	if (pid <= 0)
		return;
	kill((pid_t)pid, SIGTERM);
	while (alive(pid) && mono() - t0 < 15.0)
		usleep(50 * 1000);
	if (alive(pid))
		kill((pid_t)pid, SIGKILL);
}

START_TEST(local_levels_restart_and_replay)
{
	char *dir = bpci_test_mkdtemp(), log[4200], *url, *token, where[128];
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
	mgr = spawn_manager(dir, log);
	url = file_line(dir, "api.url");
	token = file_line(dir, "api.token");
	cli(&r, dir, add1);
	ck_assert_msg(r.status == 0, "add mid: %s", r.err);
	bpci_test_run_free(&r);
	mid = wait_daemon(url, "mid", "running", 0);
	cli(&r, dir, add2);
	ck_assert_msg(r.status == 0, "add leaf: %s", r.err);
	bpci_test_run_free(&r);
	leaf = wait_daemon(url, "leaf", "running", 0);
	ck_assert(alive(mid) && alive(leaf) && mid != leaf);
	/* Links are measured once heartbeats flowed for a while. */
	usleep(1500 * 1000);
	cli(&r, dir, js);
	ck_assert_int_eq(r.status, 0);
	tree = json_loads(r.out, 0, NULL);
	ck_assert_ptr_nonnull(tree);
	e = find(tree, "leaf");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(json_string_value(json_object_get(e, "state")), "running");
	ck_assert_str_eq(json_string_value(json_object_get(e, "parent_id")), "mid");
	ck_assert_int_eq(json_integer_value(json_object_get(e, "pid")), leaf);
	ck_assert_int_ge(json_integer_value(json_object_get(json_object_get(e, "link"),
							    "heartbeats")), 1);
	ck_assert(json_number_value(json_object_get(json_object_get(e, "link"), "rtt_ms")) >= 0);
	e = find(tree, "mid");
	ck_assert_int_eq(json_integer_value(json_object_get(e, "level")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(e, "pid")), mid);
	json_decref(tree);
	bpci_test_run_free(&r);

	/* A replica on the mid-level daemon; kill -9 that daemon: its parent
	 * (the root) restarts it, and it re-adopts its node and its child. */
	rep = replica_onto(dir, url, token, "mid");
	ck_assert(kill((pid_t)mid, SIGKILL) == 0);
	mid2 = wait_daemon(url, "mid", "running", mid);
	ck_assert_int_ne(mid2, mid);
	ck_assert_int_eq(replica_on(url, "replica-1", where, sizeof(where)), rep);
	ck_assert_str_eq(where, "mid");
	ck_assert_int_eq(wait_daemon(url, "leaf", "running", 0), leaf);

	/* All or nothing: a local daemon under a parent that has not joined
	 * cannot be spawned, so nothing is recorded. */
	cli(&r, dir, ghost);
	ck_assert_msg(r.status == 0, "add ghost: %s", r.err);
	bpci_test_run_free(&r);
	cli(&r, dir, orphan);
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

	/* The manager restarts: the journaled tree and replicas are back, the
	 * daemons (still running) are re-adopted, not started twice. */
	stop_child(mgr);
	ck_assert_uint_eq(cm_count_type(dir, "daemon.added"), 3);
	ck_assert_uint_eq(cm_count_type(dir, "daemon.escalated"), 1);
	ck_assert_uint_eq(cm_count_type(dir, "replica.added"), 1);
	ck_assert_uint_eq(cm_count_type(dir, "replica.moved"), 1);
	ck_assert_uint_ge(cm_count_type(dir, "daemon.state"), 3);
	mgr = spawn_manager(dir, log);
	free(url);
	url = file_line(dir, "api.url");
	ck_assert_int_eq(wait_daemon(url, "mid", "running", 0), mid2);
	ck_assert_int_eq(wait_daemon(url, "leaf", "running", 0), leaf);
	ck_assert_int_eq(replica_on(url, "replica-1", where, sizeof(where)), rep);
	ck_assert_str_eq(where, "mid");
	tree = get_json(url, "/api/daemon-tree/status");
	ck_assert_ptr_nonnull(find(tree, "ghost"));
	ck_assert_ptr_null(find(tree, "orphan"));
	json_decref(tree);
	stop_child(mgr);
	ck_assert_uint_eq(cm_count_type(dir, "daemon.added"), 3);
	ck_assert_uint_eq(cm_count_type(dir, "replica.moved"), 1);
	stop_daemon(mid2);
	ck_assert(!alive(leaf) && !alive(rep));
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
	mgr = spawn_manager(dir, log);
	url = file_line(dir, "api.url");
	token = file_line(dir, "api.token");
	cli(&r, dir, add);
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

		far = spawn("bpi-core", args, rlog);
	}
	ck_assert_int_eq(wait_daemon(url, "far", "running", 0), far);
	rep = replica_onto(dir, url, token, "far");

	/* The host is lost: the daemon and its node die at once. */
	ck_assert(kill(far, SIGKILL) == 0);
	kill((pid_t)rep, SIGKILL);
	waitpid(far, NULL, 0);
	t0 = mono();
	while (mono() - t0 < 15.0 &&
	       ((now_pid = replica_on(url, "replica-1", where, sizeof(where))) == 0 ||
		!strcmp(where, "far")))
		usleep(50 * 1000);
	took = mono() - t0;
	printf("remote daemon killed -> replica running on \"%s\" after %.2f s\n", where, took);
	ck_assert_msg(strcmp(where, "far") != 0 && now_pid > 0,
		      "the replica did not fail over within 15 s (on %s)", where);
	ck_assert_int_ne(now_pid, rep);
	/* Not before the failover timeout (3 s of silence, heartbeats 1 s). */
	ck_assert(took >= 1.5 && took < 15.0);
	wait_daemon(url, "far", "failed", 0);
	cli(&r, dir, metrics);
	ck_assert_int_eq(r.status, 0);
	m = json_loads(r.out, 0, NULL);
	ck_assert_ptr_nonnull(m);
	ck_assert(json_real_value(json_object_get(m, "daemon_tree_health")) == 0.5);
	json_decref(m);
	bpci_test_run_free(&r);
	stop_child(mgr);
	ck_assert_uint_eq(cm_count_type(dir, "daemon.failed"), 1);
	ck_assert_uint_eq(cm_count_type(dir, "replica.moved"), 2);
	ck_assert(!alive(now_pid));
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
	char *dir = bpci_test_mkdtemp(), *rdir = bpci_test_mkdtemp(), log[4200], rlog[4200];
	char *url, *token, *mid_url, *mid_token, mid_dir[4300], where[128] = "";
	const char *add1[] = {"daemon-tree", "add-daemon", "--daemon-id", "mid", "--parent-id",
			      "root", "--responsibilities", "node_lifecycle,fault_recovery",
			      "--capacity", "cpu=500m,memory=1Gi,storage=2Gi", NULL};
	const char *add2[] = {"daemon-tree", "add-daemon", "--daemon-id", "deep", "--parent-id",
			      "mid", "--responsibilities", "node_lifecycle", "--capacity",
			      "cpu=8,memory=16Gi,storage=100Gi", "--remote", NULL};
	bpci_test_run r;
	long mid, rep, now_pid = 0;
	double t0, took;
	pid_t mgr, deep;

	snprintf(log, sizeof(log), "%s.manager.log", dir);
	snprintf(rlog, sizeof(rlog), "%s.deep.log", dir);
	mgr = spawn_manager(dir, log);
	url = file_line(dir, "api.url");
	token = file_line(dir, "api.token");
	cli(&r, dir, add1);
	ck_assert_msg(r.status == 0, "add mid: %s", r.err);
	bpci_test_run_free(&r);
	mid = wait_daemon(url, "mid", "running", 0);
	cli(&r, dir, add2);
	ck_assert_msg(r.status == 0, "add deep: %s", r.err);
	bpci_test_run_free(&r);
	snprintf(mid_dir, sizeof(mid_dir), "%s/daemons/mid", dir);
	mid_url = file_line(mid_dir, "api.url");
	mid_token = file_line(mid_dir, "api.token");
	{
		const char *args[] = {"node-coordinator", "start", "--daemon-id", "deep", "--join",
				      mid_url, "--join-token", mid_token, "--remote", "--state-dir",
				      rdir, "--listen", "127.0.0.1:0", NULL};

		deep = spawn("bpi-core", args, rlog);
	}
	ck_assert_int_eq(wait_daemon(url, "deep", "running", 0), deep);
	rep = replica_onto(dir, url, token, "deep");

	ck_assert(kill(deep, SIGKILL) == 0);
	kill((pid_t)rep, SIGKILL);
	waitpid(deep, NULL, 0);
	t0 = mono();
	while (mono() - t0 < 15.0 &&
	       ((now_pid = replica_on(url, "replica-1", where, sizeof(where))) == 0 ||
		!strcmp(where, "deep")))
		usleep(50 * 1000);
	took = mono() - t0;
	printf("relayed remote daemon killed -> replica running on \"%s\" after %.2f s\n", where,
	       took);
	ck_assert_msg(strcmp(where, "deep") != 0 && now_pid > 0,
		      "the replica did not fail over within 15 s (on %s)", where);
	ck_assert(took >= 1.5 && took < 15.0);
	wait_daemon(url, "deep", "failed", 0);
	stop_child(mgr);
	ck_assert_uint_eq(cm_count_type(dir, "daemon.failed"), 1);
	ck_assert_uint_eq(cm_count_type(dir, "replica.moved"), 2);
	stop_daemon(mid);
	ck_assert(!alive(now_pid));
	free(url);
	free(token);
	free(mid_url);
	free(mid_token);
	unlink(log);
	unlink(rlog);
	bpci_test_rmtree(rdir);
	bpci_test_rmtree(dir);
	free(rdir);
	free(dir);
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
