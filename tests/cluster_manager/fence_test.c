/* Fencing, real processes: a remote daemon hosting a replica is cut off
 * (SIGSTOP: its node keeps running, it stops heartbeating), the replica
 * fails over to the root; when the daemon is back (SIGCONT) the manager
 * stops the old instance there before it counts the daemon running again,
 * so exactly one instance of the replica runs. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cm_test.h"

/* How many nodes named @id run on the coordinator at @url. */
static int running_there(const char *url, const char *id)
{
	json_t *j = cm_p_get_json(url, "/api/nodes"), *n, *list;
	int count = 0;
	size_t i;

	ck_assert_msg(j != NULL, "GET %s/api/nodes failed", url);
	list = json_is_array(j) ? j : json_object_get(j, "nodes");
	json_array_foreach(list, i, n) {
		const char *nid = json_string_value(json_object_get(n, "id"));
		const char *st = json_string_value(json_object_get(n, "state"));

		if (nid && !strcmp(nid, id) && st && !strcmp(st, "running"))
			count++;
	}
	json_decref(j);
	return count;
}

static const char *daemon_state(const char *url, const char *id, char *buf, size_t size)
{
	json_t *tree = cm_p_get_json(url, "/api/daemon-tree/status"), *e = cm_p_find(tree, id);

	snprintf(buf, size, "%s", e ? json_string_value(json_object_get(e, "state")) : "?");
	json_decref(tree);
	return buf;
}

START_TEST(partitioned_daemon_is_fenced)
{
	char *dir = bpci_test_mkdtemp(), *rdir = bpci_test_mkdtemp(), log[4200], rlog[4200];
	char *url, *token, *far_url, where[128] = "", state[64];
	const char *add[] = {"daemon-tree", "add-daemon", "--daemon-id", "far", "--parent-id",
			     "root", "--responsibilities", "node_lifecycle", "--capacity",
			     "cpu=8,memory=16Gi,storage=100Gi", "--remote", NULL};
	const char *metrics[] = {"cluster-manager", "metrics", "--output", "json", NULL};
	bpci_test_run r;
	long rep, now_pid = 0;
	double t0, took;
	pid_t mgr, far;
	json_t *m;

	snprintf(log, sizeof(log), "%s.manager.log", dir);
	snprintf(rlog, sizeof(rlog), "%s.far.log", dir);
	mgr = cm_p_spawn_manager(dir, log);
	url = cm_p_file_line(dir, "api.url");
	token = cm_p_file_line(dir, "api.token");
	cm_p_cli(&r, dir, add);
	ck_assert_msg(r.status == 0, "add far: %s", r.err);
	bpci_test_run_free(&r);
	{
		const char *args[] = {"node-coordinator", "start", "--daemon-id", "far", "--join",
				      url, "--join-token", token, "--remote", "--state-dir",
				      rdir, "--listen", "127.0.0.1:0", NULL};

		far = cm_p_spawn("bpi-core", args, rlog);
	}
	ck_assert_int_eq(cm_p_wait_daemon(url, "far", "running", 0), far);
	far_url = cm_p_file_line(rdir, "api.url");
	rep = cm_p_replica_onto(dir, url, token, "far");
	ck_assert_int_eq(running_there(far_url, "replica-1"), 1);

	/* Cut off: the daemon stops, its node runs on; the replica fails over. */
	ck_assert(kill(far, SIGSTOP) == 0);
	t0 = cm_p_mono();
	while (cm_p_mono() - t0 < 15.0 &&
	       ((now_pid = cm_p_replica_on(url, "replica-1", where, sizeof(where))) == 0 ||
		!strcmp(where, "far")))
		usleep(50 * 1000);
	ck_assert_msg(strcmp(where, "root") == 0 && now_pid > 0,
		      "the replica did not fail over to the root (on %s)", where);
	ck_assert_int_ne(now_pid, rep);
	ck_assert_str_eq(daemon_state(url, "far", state, sizeof(state)), "failed");
	/* The partition's duplicate: the old instance still runs. */
	ck_assert(cm_alive((int)rep));

	/* Back: fenced within a few seconds, and never counted running while
	 * the old instance still ran. */
	ck_assert(kill(far, SIGCONT) == 0);
	t0 = cm_p_mono();
	while (cm_p_mono() - t0 < 15.0 &&
	       strcmp(daemon_state(url, "far", state, sizeof(state)), "running") != 0) {
		ck_assert_msg(cm_alive((int)rep) || !strcmp(state, "failed"), "state %s", state);
		usleep(20 * 1000);
	}
	took = cm_p_mono() - t0;
	printf("partitioned daemon back -> fenced and running after %.2f s\n", took);
	ck_assert_str_eq(state, "running");
	ck_assert_msg(!cm_alive((int)rep), "old replica pid %ld still runs on far", rep);
	ck_assert(took < 5.0);
	/* Exactly one instance: on the root, the same one as after failover. */
	ck_assert_int_eq(running_there(far_url, "replica-1"), 0);
	ck_assert_int_eq(cm_p_replica_on(url, "replica-1", where, sizeof(where)), now_pid);
	ck_assert_str_eq(where, "root");
	ck_assert(cm_alive((int)now_pid));
	cm_p_cli(&r, dir, metrics);
	ck_assert_int_eq(r.status, 0);
	m = json_loads(r.out, 0, NULL);
	ck_assert_ptr_nonnull(m);
	ck_assert(json_real_value(json_object_get(m, "daemon_tree_health")) == 1.0);
	json_decref(m);
	bpci_test_run_free(&r);

	cm_p_stop_child(mgr);
	ck_assert_uint_eq(cm_count_type(dir, "replica.fenced"), 1);
	ck_assert_uint_eq(cm_count_type(dir, "daemon.failed"), 1);
	ck_assert_uint_eq(cm_count_type(dir, "replica.moved"), 2);
	cm_p_stop_child(far);
	ck_assert(!cm_alive((int)now_pid));
	free(url);
	free(token);
	free(far_url);
	unlink(log);
	unlink(rlog);
	bpci_test_rmtree(rdir);
	bpci_test_rmtree(dir);
	free(rdir);
	free(dir);
}
END_TEST

void cm_add_fence(Suite *s)
{
	TCase *tc = tcase_create("fence");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, partitioned_daemon_is_fenced);
	suite_add_tcase(s, tc);
}
