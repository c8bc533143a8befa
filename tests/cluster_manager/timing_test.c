/* cluster-manager start --heartbeat-interval / --failover-timeout, real
 * processes: a remote daemon joined to the root heartbeats at the root's
 * pace, and when it dies its replica fails over after the root's (short)
 * failover timeout, well before the 3 s default. Bad values are refused. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "cm_test.h"

static long link_heartbeats(const char *url, const char *id)
{
	json_t *tree = cm_p_get_json(url, "/api/daemon-tree/status"), *e = cm_p_find(tree, id);
	long n = e ? (long)json_integer_value(json_object_get(json_object_get(e, "link"),
								"heartbeats")) : -1;

	json_decref(tree);
	return n;
}

START_TEST(short_failover_timeout)
{
	char *dir = bpci_test_mkdtemp(), *rdir = bpci_test_mkdtemp(), log[4200], rlog[4200];
	char *url, *token, where[128] = "";
	const char *timing[] = {"--heartbeat-interval", "200ms", "--failover-timeout", "1s",
				NULL};
	const char *add[] = {"daemon-tree", "add-daemon", "--daemon-id", "far", "--parent-id",
			     "root", "--responsibilities", "node_lifecycle", "--capacity",
			     "cpu=8,memory=16Gi,storage=100Gi", "--remote", NULL};
	bpci_test_run r;
	long rep, now_pid = 0, hb0, hb1;
	double t0, took;
	pid_t mgr, far;

	snprintf(log, sizeof(log), "%s.manager.log", dir);
	snprintf(rlog, sizeof(rlog), "%s.far.log", dir);
	mgr = cm_p_spawn_manager_with(dir, log, timing);
	url = cm_p_file_line(dir, "api.url");
	token = cm_p_file_line(dir, "api.token");
	cm_p_cli(&r, dir, add);
	ck_assert_msg(r.status == 0, "add far: %s", r.err);
	bpci_test_run_free(&r);
	{
		/* No timing flags of its own: it follows its parent's. */
		const char *args[] = {"node-coordinator", "start", "--daemon-id", "far", "--join",
				      url, "--join-token", token, "--remote", "--state-dir",
				      rdir, "--listen", "127.0.0.1:0", NULL};

		far = cm_p_spawn("bpi-core", args, rlog);
	}
	ck_assert_int_eq(cm_p_wait_daemon(url, "far", "running", 0), far);
	/* 200 ms heartbeats: about 10 in 2 s (the default pace gives 2). */
	hb0 = link_heartbeats(url, "far");
	usleep(2000 * 1000);
	hb1 = link_heartbeats(url, "far");
	printf("heartbeats in 2 s at 200ms: %ld\n", hb1 - hb0);
	ck_assert_int_ge(hb1 - hb0, 6);
	ck_assert_int_le(hb1 - hb0, 14);
	rep = cm_p_replica_onto(dir, url, token, "far");

	ck_assert(kill(far, SIGKILL) == 0);
	kill((pid_t)rep, SIGKILL);
	waitpid(far, NULL, 0);
	t0 = cm_p_mono();
	while (cm_p_mono() - t0 < 15.0 &&
	       ((now_pid = cm_p_replica_on(url, "replica-1", where, sizeof(where))) == 0 ||
		!strcmp(where, "far")))
		usleep(20 * 1000);
	took = cm_p_mono() - t0;
	printf("failover timeout 1s: replica running on \"%s\" after %.2f s\n", where, took);
	ck_assert_str_eq(where, "root");
	ck_assert_int_gt(now_pid, 0);
	/* After the 1 s timeout (less the part of it already silent at the
	 * kill), and well before the 3 s default would allow. */
	ck_assert(took >= 0.7 && took < 2.5);
	cm_p_stop_child(mgr);
	ck_assert_uint_eq(cm_count_type(dir, "daemon.failed"), 1);
	ck_assert(!cm_alive((int)now_pid));
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

START_TEST(bad_timing_refused)
{
	char *dir = bpci_test_mkdtemp();
	const char *bogus[] = {"cluster-manager", "start", "--cluster-id", "t",
			       "--heartbeat-interval", "soon", NULL};
	const char *zero[] = {"cluster-manager", "start", "--cluster-id", "t",
			      "--failover-timeout", "0s", NULL};
	const char *order[] = {"cluster-manager", "start", "--cluster-id", "t", "--listen",
			       "127.0.0.1:0", "--heartbeat-interval", "2s", "--failover-timeout",
			       "1500ms", NULL};
	bpci_test_run r;

	cm_p_cli(&r, dir, bogus);
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(strstr(r.err, "--heartbeat-interval") && strstr(r.err, "'soon'"), "%s",
		      r.err);
	bpci_test_run_free(&r);
	cm_p_cli(&r, dir, zero);
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(strstr(r.err, "--failover-timeout") && strstr(r.err, "'0s'"), "%s", r.err);
	bpci_test_run_free(&r);
	cm_p_cli(&r, dir, order);
	ck_assert_int_eq(r.status, 2);
	ck_assert_msg(strstr(r.err, "failover_timeout_ms") && strstr(r.err, "(2000 ms)") &&
		      strstr(r.err, "got 1500"), "%s", r.err);
	bpci_test_run_free(&r);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(options_version_checked)
{
	char *dir = bpci_test_mkdtemp();
	bpci_cluster_manager_options o = BPCI_CLUSTER_MANAGER_OPTIONS_INIT;
	bpci_cluster_manager *cm = NULL;
	bpci_diag *diag = NULL;

	ck_assert_uint_eq(o.heartbeat_interval_ms, 0);
	ck_assert_uint_eq(o.failover_timeout_ms, 0);
	o.cluster_id = "t";
	o.state_dir = dir;
	o.heartbeat_interval_ms = 5;
	bpci_diag_new(&diag);
	ck_assert_int_eq(bpci_cluster_manager_new(&cm, &o, diag), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_get(diag, 0)->field, "heartbeat_interval_ms");
	ck_assert_ptr_nonnull(strstr(bpci_diag_get(diag, 0)->message, "got 5"));
	bpci_diag_free(diag);
	/* Version 1 callers never had the fields: they are not read. */
	o.version = 1;
	ck_assert_int_eq(bpci_cluster_manager_new(&cm, &o, NULL), 0);
	bpci_cluster_manager_free(cm);
	cm = NULL;
	o.version = 3;
	bpci_diag_new(&diag);
	ck_assert_int_eq(bpci_cluster_manager_new(&cm, &o, diag), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_get(diag, 0)->field, "version");
	bpci_diag_free(diag);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

void cm_add_timing(Suite *s)
{
	TCase *tc = tcase_create("timing");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, short_failover_timeout);
	tcase_add_test(tc, bad_timing_refused);
	tcase_add_test(tc, options_version_checked);
	suite_add_tcase(s, tc);
}
