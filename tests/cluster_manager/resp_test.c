/* Responsibilities that change what a daemon does, with real processes:
 * load_balancing (add-replica --under a domain, refused without it),
 * fault_recovery (a failed daemon's replica is failed over within its
 * nearest fault_recovery ancestor's subtree, the journal naming it). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "cm_test.h"

typedef struct match_ctx {
	const char *a, *b;
	size_t n;
} match_ctx;

static int match_cb(uint64_t seq, const char *entry, size_t len, void *payload)
{
	match_ctx *m = payload;

	(void)seq;
	(void)len;
	if (strstr(entry, m->a) && strstr(entry, m->b))
		m->n++;
	return 0;
}

/* Journal entries (DIR/ledger) holding both @a and @b; the manager must
 * be stopped first. */
static size_t journal_count(const char *dir, const char *a, const char *b)
{
	bpci_ledger_options lo = BPCI_LEDGER_OPTIONS_INIT;
	bpci_ledger *l = NULL;
	match_ctx m = {a, b, 0};
	char path[4096];

	snprintf(path, sizeof(path), "%s/ledger", dir);
	lo.flags = BPCI_LEDGER_READONLY;
	ck_assert_int_eq(bpci_ledger_open(&l, path, &lo, NULL), 0);
	ck_assert_int_eq(bpci_ledger_foreach(l, 0, match_cb, &m), 0);
	bpci_ledger_free(l);
	return m.n;
}

static void cli_ok(const char *dir, const char *const *words, const char *what)
{
	bpci_test_run r;

	cm_p_cli(&r, dir, words);
	ck_assert_msg(r.status == 0, "%s: %s", what, r.err);
	bpci_test_run_free(&r);
}

START_TEST(under_needs_load_balancing)
{
	char *dir = bpci_test_mkdtemp(), log[4200], *url, *token, where[128] = "";
	const char *add_lb[] = {"daemon-tree", "add-daemon", "--daemon-id", "lb", "--parent-id",
				"root", "--responsibilities", "load_balancing,node_lifecycle",
				"--capacity", "cpu=500m,memory=1Gi,storage=2Gi", NULL};
	const char *add_plain[] = {"daemon-tree", "add-daemon", "--daemon-id", "plain",
				   "--parent-id", "root", "--responsibilities", "node_lifecycle",
				   "--capacity", "cpu=500m,memory=1Gi,storage=2Gi", NULL};
	const char *rep_plain[] = {"cluster-manager", "add-replica", "--name", "r-plain",
				   "--cpu-cores", "0.25", "--memory-gb", "0.25", "--storage-gb",
				   "0.5", "--under", "plain", NULL};
	const char *rep_lb[] = {"cluster-manager", "add-replica", "--name", "r-lb",
				"--cpu-cores", "0.25", "--memory-gb", "0.25", "--storage-gb",
				"0.5", "--under", "lb", NULL};
	const char *reb_plain[] = {"daemon-tree", "rebalance", "--under", "plain", "--dry-run",
				   NULL};
	const char *reb_lb[] = {"daemon-tree", "rebalance", "--under", "lb", "--dry-run",
				"--output", "json", NULL};
	long lb, plain, pid = 0;
	bpci_test_run r;
	double t0;
	pid_t mgr;

	snprintf(log, sizeof(log), "%s.manager.log", dir);
	mgr = cm_p_spawn_manager(dir, log);
	url = cm_p_file_line(dir, "api.url");
	token = cm_p_file_line(dir, "api.token");
	cli_ok(dir, add_lb, "add lb");
	cli_ok(dir, add_plain, "add plain");
	lb = cm_p_wait_daemon(url, "lb", "running", 0);
	plain = cm_p_wait_daemon(url, "plain", "running", 0);
	/* plain has no load_balancing: not a domain. */
	cm_p_cli(&r, dir, rep_plain);
	ck_assert_int_ne(r.status, 0);
	ck_assert_msg(strstr(r.err, "under") && strstr(r.err, "\"plain\"") &&
		      strstr(r.err, "load_balancing"), "stderr: %s", r.err);
	bpci_test_run_free(&r);
	cm_p_cli(&r, dir, reb_plain);
	ck_assert_int_ne(r.status, 0);
	ck_assert_msg(strstr(r.err, "\"plain\"") && strstr(r.err, "load_balancing"),
		      "stderr: %s", r.err);
	bpci_test_run_free(&r);
	/* Through the API too. */
	{
		bpci_diag *diag = NULL;
		char *resp = NULL;

		bpci_diag_new(&diag);
		ck_assert_int_eq(bpci_cluster_request(&resp, url, token, "POST", "/api/replicas",
						      "{\"name\":\"r-api\",\"resources\":"
						      "\"cpu=250m,memory=256Mi,storage=512Mi\",\"under\":"
						      "\"plain\"}", diag),
				 BPCI_EINVAL);
		ck_assert_uint_ge(bpci_diag_count(diag), 1);
		ck_assert_msg(strstr(bpci_diag_get(diag, 0)->message, "plain") != NULL, "%s",
			      bpci_diag_get(diag, 0)->message);
		bpci_diag_free(diag);
		bpci_free(resp);
	}
	/* lb is a domain: the replica lands in its subtree (lb itself). */
	cli_ok(dir, rep_lb, "add-replica --under lb");
	t0 = cm_p_mono();
	while (cm_p_mono() - t0 < 30.0 &&
	       (pid = cm_p_replica_on(url, "replica-1", where, sizeof(where))) == 0)
		usleep(100 * 1000);
	ck_assert_str_eq(where, "lb");
	ck_assert_int_gt(pid, 0);
	cm_p_cli(&r, dir, reb_lb);
	ck_assert_msg(r.status == 0, "rebalance --under lb: %s", r.err);
	ck_assert_str_eq(r.out, "{\"plan\":{\"steps\":[]},\"dry_run\":true}\n");
	bpci_test_run_free(&r);
	cm_p_stop_child(mgr);
	ck_assert_uint_eq(journal_count(dir, "replica.added", "lb"), 1);
	ck_assert_uint_eq(cm_count_type(dir, "replica.added"), 1);
	cm_p_stop_daemon(lb);
	cm_p_stop_daemon(plain);
	ck_assert(!cm_p_alive(pid));
	free(url);
	free(token);
	unlink(log);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

/* A remote daemon under a LOCAL fault_recovery daemon "mid" that can host:
 * when the remote one dies, mid's subtree takes its replica (mid itself),
 * and the journal says mid acted. */
START_TEST(fault_recovery_ancestor_acts)
{
	char *dir = bpci_test_mkdtemp(), *rdir = bpci_test_mkdtemp(), log[4200], rlog[4200];
	char *url, *token, *mid_url, *mid_token, mid_dir[4300], where[128] = "";
	const char *add1[] = {"daemon-tree", "add-daemon", "--daemon-id", "mid", "--parent-id",
			      "root", "--responsibilities", "node_lifecycle,fault_recovery",
			      "--capacity", "cpu=500m,memory=1Gi,storage=2Gi", NULL};
	const char *add2[] = {"daemon-tree", "add-daemon", "--daemon-id", "deep", "--parent-id",
			      "mid", "--responsibilities", "node_lifecycle", "--capacity",
			      "cpu=8,memory=16Gi,storage=100Gi", "--remote", NULL};
	long mid, rep, now_pid = 0;
	double t0;
	pid_t mgr, deep;

	snprintf(log, sizeof(log), "%s.manager.log", dir);
	snprintf(rlog, sizeof(rlog), "%s.deep.log", dir);
	mgr = cm_p_spawn_manager(dir, log);
	url = cm_p_file_line(dir, "api.url");
	token = cm_p_file_line(dir, "api.token");
	cli_ok(dir, add1, "add mid");
	mid = cm_p_wait_daemon(url, "mid", "running", 0);
	cli_ok(dir, add2, "add deep");
	snprintf(mid_dir, sizeof(mid_dir), "%s/daemons/mid", dir);
	mid_url = cm_p_file_line(mid_dir, "api.url");
	mid_token = cm_p_file_line(mid_dir, "api.token");
	{
		const char *args[] = {"node-coordinator", "start", "--daemon-id", "deep", "--join",
				      mid_url, "--join-token", mid_token, "--remote", "--state-dir",
				      rdir, "--listen", "127.0.0.1:0", NULL};

		deep = cm_p_spawn("bpi-core", args, rlog);
	}
	ck_assert_int_eq(cm_p_wait_daemon(url, "deep", "running", 0), deep);
	rep = cm_p_replica_onto(dir, url, token, "deep");

	ck_assert(kill(deep, SIGKILL) == 0);
	kill((pid_t)rep, SIGKILL);
	waitpid(deep, NULL, 0);
	t0 = cm_p_mono();
	while (cm_p_mono() - t0 < 30.0 &&
	       ((now_pid = cm_p_replica_on(url, "replica-1", where, sizeof(where))) == 0 ||
		!strcmp(where, "deep")))
		usleep(100 * 1000);
	/* The root could host it too; mid's subtree comes first. */
	ck_assert_str_eq(where, "mid");
	ck_assert_int_gt(now_pid, 0);
	cm_p_stop_child(mgr);
	ck_assert_uint_eq(journal_count(dir, "replica.moved", "failover"), 1);
	ck_assert_uint_eq(journal_count(dir, "\"by\\\":\\\"mid\\\"", "failover") +
			  journal_count(dir, "\"by\":\"mid\"", "failover"), 1);
	cm_p_stop_daemon(mid);
	ck_assert(!cm_p_alive(now_pid));
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

/* Poll the status until daemon @id is in @state; its entry (a copy) or NULL. */
static json_t *wait_state(const char *url, const char *id, const char *state, double secs)
{
	double t0 = cm_p_mono();
	json_t *st, *e;

	while (cm_p_mono() - t0 < secs) {
		st = cm_p_get_json(url, "/api/daemon-tree/status");
		e = st ? cm_p_find(st, id) : NULL;
		if (e && json_string_value(json_object_get(e, "state")) &&
		    !strcmp(json_string_value(json_object_get(e, "state")), state)) {
			e = json_deep_copy(e);
			json_decref(st);
			return e;
		}
		json_decref(st);
		usleep(100 * 1000);
	}
	return NULL;
}

/* Spawn a remote bpi-core daemon @id joining @join with @token. */
static pid_t remote(const char *id, const char *join, const char *token, const char *sdir,
		    const char *log)
{
	const char *args[] = {"node-coordinator", "start", "--daemon-id", id, "--join", join,
			      "--join-token", token, "--remote", "--state-dir", sdir, "--listen",
			      "127.0.0.1:0", NULL};

	return cm_p_spawn("bpi-core", args, log);
}

/* remote mid under the root, remote deep under mid: when mid dies, the
 * manager no longer hears of deep, whose last state ("running") must not
 * stand: "unknown" with the reason, in status, text and /metrics. */
START_TEST(stale_states_below_a_lost_daemon)
{
	char *dir = bpci_test_mkdtemp(), *mdir = bpci_test_mkdtemp(), *ddir = bpci_test_mkdtemp();
	char log[4200], mlog[4200], dlog[4200], *url, *token, *mid_url, *mid_token;
	const char *timing[] = {"--heartbeat-interval", "200ms", "--failover-timeout", "1s",
				NULL};
	const char *add1[] = {"daemon-tree", "add-daemon", "--daemon-id", "mid", "--parent-id",
			      "root", "--responsibilities", "node_lifecycle", "--capacity",
			      "cpu=1,memory=1Gi,storage=2Gi", "--remote", NULL};
	const char *add2[] = {"daemon-tree", "add-daemon", "--daemon-id", "deep", "--parent-id",
			      "mid", "--responsibilities", "node_lifecycle", "--capacity",
			      "cpu=1,memory=1Gi,storage=2Gi", "--remote", NULL};
	const char *status[] = {"daemon-tree", "status", NULL};
	const char *reason;
	bpci_test_run r;
	json_t *e;
	pid_t mgr, mid, deep;
	char *metrics = NULL;
	bpci_diag *diag = NULL;

	snprintf(log, sizeof(log), "%s.manager.log", dir);
	snprintf(mlog, sizeof(mlog), "%s.mid.log", dir);
	snprintf(dlog, sizeof(dlog), "%s.deep.log", dir);
	mgr = cm_p_spawn_manager_with(dir, log, timing);
	url = cm_p_file_line(dir, "api.url");
	token = cm_p_file_line(dir, "api.token");
	cli_ok(dir, add1, "add mid");
	cli_ok(dir, add2, "add deep");
	mid = remote("mid", url, token, mdir, mlog);
	ck_assert_int_eq(cm_p_wait_daemon(url, "mid", "running", 0), mid);
	mid_url = cm_p_file_line(mdir, "api.url");
	mid_token = cm_p_file_line(mdir, "api.token");
	deep = remote("deep", mid_url, mid_token, ddir, dlog);
	ck_assert_int_eq(cm_p_wait_daemon(url, "deep", "running", 0), deep);

	ck_assert(kill(mid, SIGKILL) == 0);
	waitpid(mid, NULL, 0);
	cm_p_wait_daemon(url, "mid", "failed", 0);
	e = wait_state(url, "deep", "unknown", 30.0);
	ck_assert_msg(e != NULL, "deep did not turn unknown after mid failed");
	reason = json_string_value(json_object_get(e, "state_reason"));
	ck_assert_msg(reason && strstr(reason, "mid") && strstr(reason, "failed"), "reason: %s",
		      reason ? reason : "(none)");
	json_decref(e);
	/* The text status and /metrics say so too. */
	cm_p_cli(&r, dir, status);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "deep [unknown (its parent mid is failed"), "%s", r.out);
	bpci_test_run_free(&r);
	bpci_diag_new(&diag);
	ck_assert_int_eq(bpci_cluster_request(&metrics, url, token, "GET", "/metrics", NULL,
					      diag), 0);
	ck_assert_msg(strstr(metrics, "node_distribution_daemon_state{daemon=\"deep\","
				      "state=\"unknown\",reason=\"its parent mid is failed"),
		      "%s", metrics);
	ck_assert_ptr_nonnull(strstr(metrics, "node_distribution_daemon_state{daemon=\"mid\","
					      "state=\"failed\""));
	bpci_free(metrics);
	bpci_diag_free(diag);
	cm_p_stop_child(mgr);
	ck_assert_uint_ge(journal_count(dir, "daemon.state", "unknown"), 1);
	cm_p_stop_child(deep);
	free(url);
	free(token);
	free(mid_url);
	free(mid_token);
	unlink(log);
	unlink(mlog);
	unlink(dlog);
	bpci_test_rmtree(ddir);
	bpci_test_rmtree(mdir);
	bpci_test_rmtree(dir);
	free(ddir);
	free(mdir);
	free(dir);
}
END_TEST

/* POST @path with @body to the manager; 0 or the error code. */
static int post(const char *url, const char *token, const char *path, const char *body)
{
	char *resp = NULL;
	int rc = bpci_cluster_request(&resp, url, token, "POST", path, body, NULL);

	bpci_free(resp);
	return rc;
}

/* health_monitoring (the root has it by default): the root probes its
 * children's /healthz. A real daemon answers; "ghost" sends heartbeats
 * (this test sends them) but its URL refuses connections: after 3 failed
 * probes it is reported unhealthy while still "running". */
START_TEST(health_probes_of_children)
{
	char *dir = bpci_test_mkdtemp(), *rdir = bpci_test_mkdtemp(), log[4200], rlog[4200];
	char *url, *token, ghost_url[64], body[512], range[32], *metrics = NULL;
	const char *timing[] = {"--heartbeat-interval", "200ms", "--failover-timeout", "3s",
				NULL};
	const char *add_far[] = {"daemon-tree", "add-daemon", "--daemon-id", "far", "--parent-id",
				 "root", "--responsibilities", "node_lifecycle", "--capacity",
				 "cpu=1,memory=1Gi,storage=2Gi", "--remote", NULL};
	const char *add_ghost[] = {"daemon-tree", "add-daemon", "--daemon-id", "ghost",
				   "--parent-id", "root", "--responsibilities", "node_lifecycle",
				   "--capacity", "cpu=1,memory=1Gi,storage=2Gi", "--remote", NULL};
	const char *status[] = {"daemon-tree", "status", NULL};
	json_t *st = NULL, *e, *p;
	bpci_test_run r;
	unsigned int port;
	double t0;
	int seq = 0, unhealthy = 0;
	pid_t mgr, far;

	snprintf(log, sizeof(log), "%s.manager.log", dir);
	snprintf(rlog, sizeof(rlog), "%s.far.log", dir);
	mgr = cm_p_spawn_manager_with(dir, log, timing);
	url = cm_p_file_line(dir, "api.url");
	token = cm_p_file_line(dir, "api.token");
	cli_ok(dir, add_far, "add far");
	cli_ok(dir, add_ghost, "add ghost");
	far = remote("far", url, token, rdir, rlog);
	ck_assert_int_eq(cm_p_wait_daemon(url, "far", "running", 0), far);
	/* A port nothing listens on: connections to it are refused. */
	port = cm_free_range(range, sizeof(range), 1);
	snprintf(ghost_url, sizeof(ghost_url), "http://127.0.0.1:%u", port);
	snprintf(body, sizeof(body), "{\"daemon_id\":\"ghost\",\"url\":\"%s\",\"token\":"
		 "\"x\",\"pid\":%ld,\"remote\":true}", ghost_url, (long)getpid());
	ck_assert_int_eq(post(url, token, "/api/daemon-tree/join", body), 0);
	t0 = cm_p_mono();
	while (cm_p_mono() - t0 < 30.0 && !unhealthy) {
		snprintf(body, sizeof(body), "{\"daemon_id\":\"ghost\",\"seq\":%d,\"url\":"
			 "\"%s\",\"rtt_ms\":1,\"children\":[]}", ++seq, ghost_url);
		ck_assert_int_eq(post(url, token, "/api/daemon-tree/heartbeat", body), 0);
		json_decref(st);
		st = cm_p_get_json(url, "/api/daemon-tree/status");
		e = st ? cm_p_find(st, "ghost") : NULL;
		p = e ? json_object_get(e, "probe") : NULL;
		unhealthy = json_is_true(json_object_get(p, "unhealthy"));
		usleep(150 * 1000);
	}
	ck_assert_msg(unhealthy, "ghost was not reported unhealthy within 30 s");
	e = cm_p_find(st, "ghost");
	p = json_object_get(e, "probe");
	ck_assert_str_eq(json_string_value(json_object_get(e, "state")), "running");
	ck_assert(json_is_false(json_object_get(p, "ok")));
	ck_assert_int_ge(json_integer_value(json_object_get(p, "failures")), 3);
	ck_assert_ptr_nonnull(json_string_value(json_object_get(p, "error")));
	/* The real daemon answers its probes, with a latency. */
	p = json_object_get(cm_p_find(st, "far"), "probe");
	ck_assert_msg(json_is_true(json_object_get(p, "ok")), "far's probe is not ok");
	ck_assert(json_real_value(json_object_get(p, "latency_ms")) >= 0.0 &&
		  json_real_value(json_object_get(p, "latency_ms")) < 5000.0);
	ck_assert_int_eq(json_integer_value(json_object_get(p, "failures")), 0);
	ck_assert(json_is_false(json_object_get(p, "unhealthy")));
	json_decref(st);
	cm_p_cli(&r, dir, status);
	ck_assert_int_eq(r.status, 0);
	ck_assert_msg(strstr(r.out, "(unhealthy)") && strstr(r.out, "probe ok"), "%s", r.out);
	bpci_test_run_free(&r);
	ck_assert_int_eq(bpci_cluster_request(&metrics, url, token, "GET", "/metrics", NULL,
					      NULL), 0);
	ck_assert_msg(strstr(metrics, "node_distribution_daemon_unhealthy{daemon=\"ghost\"} 1\n") &&
		      strstr(metrics, "node_distribution_daemon_probe_ok{daemon=\"far\"} 1\n") &&
		      strstr(metrics, "node_distribution_daemon_probe_latency_seconds{daemon=\"far\"}"),
		      "%s", metrics);
	bpci_free(metrics);
	cm_p_stop_child(mgr);
	cm_p_stop_child(far);
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

void cm_add_resp(Suite *s)
{
	TCase *tc = tcase_create("responsibilities");

	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, under_needs_load_balancing);
	tcase_add_test(tc, fault_recovery_ancestor_acts);
	tcase_add_test(tc, stale_states_below_a_lost_daemon);
	tcase_add_test(tc, health_probes_of_children);
	suite_add_tcase(s, tc);
}
