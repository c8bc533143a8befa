/* Moving and removing LOCAL daemons that host replicas and have children,
 * real processes: the moved daemon keeps running (its new parent adopts
 * it by pid, its old one releases it), so its nodes and child daemons
 * keep their pids; a removed daemon's replicas move first (started
 * elsewhere before they stop) and its children go to its parent, still
 * running; a manager killed midway finishes the move after its restart;
 * a replica that fits nowhere refuses the removal with nothing changed. */
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

#define WAIT_S 30.0

typedef struct mtree {
	char *dir, *url, *token, log[4200], range[32];
	pid_t mgr;
} mtree;

static void start_manager(mtree *m)
{
	const char *extra[] = {"--port-ranges", m->range, NULL};

	m->mgr = cm_p_spawn_manager_with(m->dir, m->log, extra);
	m->url = cm_p_file_line(m->dir, "api.url");
	m->token = cm_p_file_line(m->dir, "api.token");
}

static void mtree_start(mtree *m)
{
	memset(m, 0, sizeof(*m));
	m->dir = bpci_test_mkdtemp();
	snprintf(m->log, sizeof(m->log), "%s.manager.log", m->dir);
	cm_free_range(m->range, sizeof(m->range), 11);
	start_manager(m);
	{
		/* Four levels: a three-level branch moved under a sibling. */
		const char *init[] = {"daemon-tree", "init", "--root-daemon", "root", "--levels",
				      "4", NULL};
		bpci_test_run r;

		cm_p_cli(&r, m->dir, init);
		ck_assert_msg(r.status == 0, "init: %s", r.err);
		bpci_test_run_free(&r);
	}
}

static void mtree_end(mtree *m)
{
	if (m->mgr > 0)
		cm_p_stop_child(m->mgr);
	free(m->url);
	free(m->token);
	unlink(m->log);
	bpci_test_rmtree(m->dir);
	free(m->dir);
}

/* add-daemon @id under @parent (local), @capacity may be NULL; its pid. */
static long add_daemon(mtree *m, const char *id, const char *parent, const char *capacity)
{
	const char *args[] = {"daemon-tree", "add-daemon", "--daemon-id", id, "--parent-id",
			      parent, "--responsibilities", "node_lifecycle", capacity ? "--capacity"
									   : NULL,
			      capacity, NULL};
	bpci_test_run r;

	cm_p_cli(&r, m->dir, args);
	ck_assert_msg(r.status == 0, "add %s: %s", id, r.err);
	bpci_test_run_free(&r);
	return cm_p_wait_daemon(m->url, id, "running", 0);
}

/* Daemon @id's entry in the manager's tree: parent and pid. */
static long daemon_at(const char *url, const char *id, char *parent, size_t size)
{
	json_t *tree = cm_p_get_json(url, "/api/daemon-tree/status"), *e = cm_p_find(tree, id);
	long pid = 0;

	if (e) {
		snprintf(parent, size, "%s", json_string_value(json_object_get(e, "parent_id")));
		pid = (long)json_integer_value(json_object_get(e, "pid"));
	}
	json_decref(tree);
	return pid;
}

/* Wait until the manager shows @id under @parent with pid @pid. */
static void wait_under(const char *url, const char *id, const char *parent, long pid)
{
	char now[128] = "";
	double t0 = cm_p_mono();
	long p = 0;

	while (cm_p_mono() - t0 < WAIT_S) {
		p = daemon_at(url, id, now, sizeof(now));
		if (p == pid && !strcmp(now, parent))
			return;
		usleep(100 * 1000);
	}
	ck_abort_msg("daemon %s never showed under %s with pid %ld (under \"%s\", pid %ld)", id,
		     parent, pid, now, p);
}

/* The heartbeats daemon @parent (its API at @purl) counts for child @id,
 * -1 when @id is not its child. */
static long heartbeats_at(const char *purl, const char *id)
{
	json_t *tree = cm_p_get_json(purl, "/api/daemon-tree/status"), *e, *kid;
	long hb = -1;
	size_t i;

	json_array_foreach(json_object_get(tree, "children"), i, kid) {
		e = kid;
		if (strcmp(json_string_value(json_object_get(e, "daemon_id")), id) != 0)
			continue;
		hb = (long)json_integer_value(json_object_get(json_object_get(e, "link"),
							      "heartbeats"));
	}
	json_decref(tree);
	return hb;
}

/* Wait until @id heartbeats the daemon at @purl (the count grows by 2). */
static void wait_heartbeats(const char *purl, const char *id)
{
	double t0 = cm_p_mono();
	long first = -1, hb = -1;

	while (cm_p_mono() - t0 < WAIT_S) {
		hb = heartbeats_at(purl, id);
		if (first < 0 && hb >= 0)
			first = hb;
		if (first >= 0 && hb >= first + 2)
			return;
		usleep(100 * 1000);
	}
	ck_abort_msg("%s never heartbeated %s (count %ld, first %ld)", id, purl, hb, first);
}

/* Is @id listed in STATE/daemons.json (the children a parent supervises)? */
static int supervises(const char *state, const char *id)
{
	char path[4400];
	json_t *doc, *e;
	size_t i;
	int hit = 0;

	snprintf(path, sizeof(path), "%s/daemons.json", state);
	doc = json_load_file(path, 0, NULL);
	ck_assert_msg(doc != NULL, "no %s", path);
	json_array_foreach(json_object_get(doc, "daemons"), i, e)
		if (!strcmp(json_string_value(json_object_get(e, "daemon_id")), id))
			hit = 1;
	json_decref(doc);
	return hit;
}

static void run_ok(mtree *m, const char *const *words, const char *what)
{
	bpci_test_run r;

	cm_p_cli(&r, m->dir, words);
	ck_assert_msg(r.status == 0, "%s: exit %d: %s", what, r.status, r.err);
	bpci_test_run_free(&r);
}

/* Wait until replica @id runs on daemon @daemon; its pid. */
static long cm_wait_running_at(const char *url, const char *id, const char *daemon)
{
	char where[128] = "";
	double t0 = cm_p_mono();
	long pid = 0;

	while (cm_p_mono() - t0 < WAIT_S) {
		pid = cm_p_replica_on(url, id, where, sizeof(where));
		if (pid > 0 && !strcmp(where, daemon))
			return pid;
		usleep(100 * 1000);
	}
	ck_abort_msg("replica %s never ran on %s (on \"%s\", pid %ld)", id, daemon, where, pid);
	return 0;
}

/* Seconds since boot when @pid started (/proc/PID/stat field 22). */
static double started_s(long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ticks = 0;
	FILE *f;
	size_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		ticks = strtoull(p + 1, NULL, 10);
	return (double)ticks / (double)sysconf(_SC_CLK_TCK);
}

static double boot_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(move_then_remove_keeps_processes)
{
	const char *mv[] = {"daemon-tree", "move-daemon", "--daemon-id", "mid", "--parent-id",
			    "side", NULL};
	char s_dir[4300], link[4400], where[128] = "", parent[128] = "", *s_url, *mid_url;
	mtree m;
	long mid, leaf, side, rep, rep2 = 0;
	double t0, died = -1;
	struct stat st;
	pid_t cli;

	mtree_start(&m);
	mid = add_daemon(&m, "mid", "root", "cpu=500m,memory=1Gi,storage=2Gi");
	leaf = add_daemon(&m, "leaf", "mid", NULL);
	rep = cm_p_replica_onto(m.dir, m.url, m.token, "mid");
	side = add_daemon(&m, "side", "root", "cpu=1,memory=2Gi,storage=4Gi");
	snprintf(s_dir, sizeof(s_dir), "%s/daemons/side", m.dir);
	s_url = cm_p_file_line(s_dir, "api.url");

	/* Move: the same processes, the new parent supervises it. */
	run_ok(&m, mv, "move-daemon mid under side");
	wait_under(m.url, "mid", "side", mid);
	wait_under(m.url, "leaf", "mid", leaf);
	ck_assert_int_eq(cm_p_replica_on(m.url, "replica-1", where, sizeof(where)), rep);
	ck_assert_str_eq(where, "mid");
	ck_assert(cm_p_alive(mid) && cm_p_alive(leaf) && cm_p_alive(rep));
	wait_heartbeats(s_url, "mid");
	ck_assert(supervises(s_dir, "mid"));
	ck_assert(!supervises(m.dir, "mid"));
	snprintf(link, sizeof(link), "%s/daemons/mid", s_dir);
	ck_assert(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
	mid_url = cm_p_file_line(link, "api.url");
	ck_assert_int_eq(daemon_at(mid_url, "mid", parent, sizeof(parent)), mid);
	ck_assert_str_eq(parent, "side");
	/* Still the same after the old parent's failover timeout. */
	usleep(3500 * 1000);
	wait_under(m.url, "mid", "side", mid);
	ck_assert_int_eq(daemon_at(m.url, "side", parent, sizeof(parent)), side);

	/* Remove: the replica starts elsewhere before it stops here; the
	 * child goes to the grandparent, still running. */
	{
		const char *rm[] = {"daemon-tree", "remove-daemon", "--daemon-id", "mid",
				    "--state-dir", m.dir, NULL};
		char clog[4300];
		int status = 0, reaped = 0;

		snprintf(clog, sizeof(clog), "%s.cli.log", m.dir);
		cli = cm_p_spawn("bpci-enterprise", rm, clog);
		t0 = cm_p_mono();
		while (cm_p_mono() - t0 < 60.0) {
			if (!reaped && waitpid(cli, &status, WNOHANG) == cli)
				reaped = 1;
			if (!cm_p_alive(rep)) {
				died = boot_s();
				break;
			}
			if (reaped)
				break;
			usleep(5 * 1000);
		}
		if (!reaped)
			ck_assert_int_eq(waitpid(cli, &status, 0), cli);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			      "remove-daemon failed (see %s)", clog);
		unlink(clog);
	}
	t0 = cm_p_mono();
	while (cm_p_mono() - t0 < WAIT_S &&
	       ((rep2 = cm_p_replica_on(m.url, "replica-1", where, sizeof(where))) == 0 ||
		!strcmp(where, "mid")))
		usleep(100 * 1000);
	ck_assert_str_ne(where, "mid");
	ck_assert_int_ne(rep2, rep);
	ck_assert(!cm_p_alive(rep));
	/* The new instance started before the old one was gone. */
	ck_assert_msg(started_s(rep2) > 0 && started_s(rep2) <= died,
		      "replica restarted at %.2f s, old one gone at %.2f s", started_s(rep2),
		      died);
	wait_under(m.url, "leaf", "side", leaf);
	wait_heartbeats(s_url, "leaf");
	t0 = cm_p_mono();
	while (cm_p_alive(mid) && cm_p_mono() - t0 < WAIT_S)
		usleep(50 * 1000);
	ck_assert(!cm_p_alive(mid));
	ck_assert(cm_p_alive(leaf));
	ck_assert(supervises(s_dir, "leaf"));
	ck_assert_int_eq(daemon_at(m.url, "mid", parent, sizeof(parent)), 0);

	cm_p_stop_child(m.mgr);
	m.mgr = 0;
	ck_assert_uint_eq(cm_count_type(m.dir, "daemon.moved"), 1);
	ck_assert_uint_eq(cm_count_type(m.dir, "daemon.removed"), 1);
	ck_assert_uint_eq(cm_count_type(m.dir, "replica.moved"), 2);
	cm_p_stop_daemon(side);
	/* The manager's SIGTERM stopped side, which stops the leaf it adopted;
	 * an adopted (not forked) child's exit is seen through its pidfd, a
	 * moment after side itself may be gone. */
	t0 = cm_p_mono();
	while (cm_p_alive(leaf) && cm_p_mono() - t0 < WAIT_S)
		usleep(50 * 1000);
	ck_assert(!cm_p_alive(leaf));
	free(s_url);
	free(mid_url);
	mtree_end(&m);
}
END_TEST

/* A JSON file's document, or NULL. */
static json_t *load(const char *dir, const char *name)
{
	char path[4400];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return json_load_file(path, 0, NULL);
}

/* The handover record of @id from the daemons.json of its parent in
 * @pstate (what GET /api/daemons/ID gives), as text. */
static char *record_from(const char *pstate, const char *id)
{
	json_t *doc = load(pstate, "daemons.json"), *e, *rec = NULL;
	char dir[4400], *text;
	size_t i;

	ck_assert_ptr_nonnull(doc);
	snprintf(dir, sizeof(dir), "%s/daemons/%s", pstate, id);
	json_array_foreach(json_object_get(doc, "daemons"), i, e) {
		if (strcmp(json_string_value(json_object_get(e, "daemon_id")), id) != 0)
			continue;
		rec = json_pack("{s:s, s:O, s:O, s:O, s:s, s:O, s:O, s:O, s:O}", "daemon_id", id,
				"pid", json_object_get(e, "pid"), "start_time",
				json_object_get(e, "start_time"), "port", json_object_get(e, "port"),
				"state_dir", dir, "restart", json_object_get(e, "restart"), "spec",
				json_object_get(e, "spec"), "url", json_object_get(e, "url"), "token",
				json_object_get(e, "token"));
	}
	json_decref(doc);
	ck_assert_ptr_nonnull(rec);
	text = json_dumps(rec, JSON_COMPACT);
	json_decref(rec);
	return text;
}

/* The manager is killed -9 after the new parent adopted the daemon and
 * before the move was journaled (DIR/migration.json records it): the
 * restarted manager finishes the move, nothing restarts. */
START_TEST(killed_manager_finishes_the_move)
{
	char s_dir[4300], path[4400], *s_url, *s_token, *rec, *body, *resp = NULL;
	bpci_diag *diag = NULL;
	mtree m;
	long mid, leaf, side;
	double t0;
	FILE *f;
	int status;

	mtree_start(&m);
	mid = add_daemon(&m, "mid", "root", "cpu=500m,memory=1Gi,storage=2Gi");
	leaf = add_daemon(&m, "leaf", "mid", NULL);
	side = add_daemon(&m, "side", "root", "cpu=1,memory=2Gi,storage=4Gi");
	snprintf(s_dir, sizeof(s_dir), "%s/daemons/side", m.dir);
	s_url = cm_p_file_line(s_dir, "api.url");
	s_token = cm_p_file_line(s_dir, "api.token");

	/* The steps the manager takes first, by hand: side adopts mid (twice:
	 * the same process again changes nothing), the move is recorded. */
	rec = record_from(m.dir, "mid");
	ck_assert(asprintf(&body, "{\"adopt\":%s}", rec) > 0);
	bpci_diag_new(&diag);
	ck_assert_int_eq(bpci_cluster_request(&resp, s_url, s_token, "POST", "/api/daemons", body,
					      diag), 0);
	ck_assert_ptr_nonnull(strstr(resp, "parent_url_file"));
	ck_assert_ptr_nonnull(strstr(resp, s_dir));
	bpci_free(resp);
	ck_assert_int_eq(bpci_cluster_request(&resp, s_url, s_token, "POST", "/api/daemons", body,
					      diag), 0);
	bpci_free(resp);
	bpci_diag_free(diag);
	ck_assert(supervises(s_dir, "mid") && supervises(m.dir, "mid"));
	snprintf(path, sizeof(path), "%s/migration.json", m.dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("{\"op\":\"move\",\"daemon\":\"mid\",\"from\":\"root\",\"to\":\"side\","
	      "\"children\":[]}\n", f);
	fclose(f);

	ck_assert_int_eq(kill(m.mgr, SIGKILL), 0);
	ck_assert_int_eq(waitpid(m.mgr, &status, 0), m.mgr);
	free(m.url);
	free(m.token);
	snprintf(path, sizeof(path), "%s/api.url", m.dir);
	unlink(path);
	start_manager(&m);

	wait_under(m.url, "mid", "side", mid);
	wait_under(m.url, "leaf", "mid", leaf);
	snprintf(path, sizeof(path), "%s/migration.json", m.dir);
	t0 = cm_p_mono();
	while (access(path, F_OK) == 0 && cm_p_mono() - t0 < WAIT_S)
		usleep(100 * 1000);
	ck_assert_msg(access(path, F_OK) != 0, "the move was not finished");
	wait_heartbeats(s_url, "mid");
	ck_assert(supervises(s_dir, "mid"));
	ck_assert(!supervises(m.dir, "mid"));
	ck_assert(cm_p_alive(mid) && cm_p_alive(leaf));

	cm_p_stop_child(m.mgr);
	m.mgr = 0;
	ck_assert_uint_eq(cm_count_type(m.dir, "daemon.moved"), 1);
	cm_p_stop_daemon(side);
	ck_assert(!cm_p_alive(mid) && !cm_p_alive(leaf));
	free(rec);
	free(body);
	free(s_url);
	free(s_token);
	mtree_end(&m);
}
END_TEST

/* add-replica with @millicores of CPU; the replica's id. */
static void add_replica(mtree *m, const char *name, unsigned long millicores)
{
	char cores[32];
	const char *add[] = {"cluster-manager", "add-replica", "--name", name, "--cpu-cores",
			     cores, "--memory-gb", "0.25", "--storage-gb", "0.5", NULL};

	snprintf(cores, sizeof(cores), "%lu.%03lu", millicores / 1000, millicores % 1000);
	run_ok(m, add, "add-replica");
}

/* The root's CPU capacity in millicores (its measured host). */
static unsigned long root_cpu(const char *url)
{
	json_t *tree = cm_p_get_json(url, "/api/daemon-tree/status");
	const char *cpu = json_string_value(json_object_get(json_object_get(tree, "capacity"),
							    "cpu"));
	bpci_resources res;
	char text[64];

	ck_assert_ptr_nonnull(cpu);
	snprintf(text, sizeof(text), "cpu=%s", cpu);
	ck_assert_int_eq(bpci_resources_parse(&res, text, NULL), 0);
	json_decref(tree);
	return (unsigned long)res.cpu_millicores;
}

/* A replica of the removed daemon that no other daemon can take refuses
 * the removal, naming it and the reason; nothing changes. */
START_TEST(remove_refused_when_a_replica_fits_nowhere)
{
	const char *rm[] = {"daemon-tree", "remove-daemon", "--daemon-id", "mid", NULL};
	char cap[96], where[128] = "", path[4400];
	unsigned long c, on_root, mid_cap;
	bpci_test_run r;
	long mid, rep1, rep2;
	mtree m;

	mtree_start(&m);
	/* The root hosts 45 % of its CPUs, mid gets the other 55 % and hosts
	 * 73 % of that (40 % of the root's): back on the root it would make
	 * 85 %, over the 80 % ceiling. */
	c = root_cpu(m.url);
	on_root = c * 45 / 100;
	mid_cap = c - on_root;
	add_replica(&m, "on-root", on_root);
	rep1 = cm_wait_running_at(m.url, "replica-1", "root");
	snprintf(cap, sizeof(cap), "cpu=%lum,memory=1Gi,storage=2Gi", mid_cap);
	mid = add_daemon(&m, "mid", "root", cap);
	add_replica(&m, "on-mid", mid_cap * 73 / 100);
	rep2 = cm_wait_running_at(m.url, "replica-2", "mid");

	cm_p_cli(&r, m.dir, rm);
	ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "replica-2 fits on no daemon") && strstr(r.err, "root: cpu") &&
		      strstr(r.err, "80%"), "%s", r.err);
	bpci_test_run_free(&r);
	/* Nothing changed. */
	ck_assert_int_eq(cm_p_replica_on(m.url, "replica-2", where, sizeof(where)), rep2);
	ck_assert_str_eq(where, "mid");
	ck_assert_int_eq(cm_p_replica_on(m.url, "replica-1", where, sizeof(where)), rep1);
	ck_assert_str_eq(where, "root");
	ck_assert_int_eq(cm_p_wait_daemon(m.url, "mid", "running", 0), mid);
	snprintf(path, sizeof(path), "%s/migration.json", m.dir);
	ck_assert_int_ne(access(path, F_OK), 0);
	cm_p_stop_child(m.mgr);
	m.mgr = 0;
	ck_assert_uint_eq(cm_count_type(m.dir, "daemon.removed"), 0);
	ck_assert_uint_eq(cm_count_type(m.dir, "replica.moved"), 0);
	cm_p_stop_daemon(mid);
	mtree_end(&m);
}
END_TEST

/* A running local daemon cannot move to a parent on another host (a
 * remote daemon's): refused, naming both, nothing changed. */
START_TEST(move_across_hosts_refused)
{
	const char *far_add[] = {"daemon-tree", "add-daemon", "--daemon-id", "far", "--parent-id",
				 "root", "--responsibilities", "node_lifecycle", "--capacity",
				 "cpu=8,memory=16Gi,storage=100Gi", "--remote", NULL};
	const char *mv[] = {"daemon-tree", "move-daemon", "--daemon-id", "mid", "--parent-id",
			    "far", NULL};
	char *rdir = bpci_test_mkdtemp(), rlog[4200], parent[128] = "";
	bpci_test_run r;
	long mid;
	pid_t far;
	mtree m;

	mtree_start(&m);
	mid = add_daemon(&m, "mid", "root", "cpu=500m,memory=1Gi,storage=2Gi");
	run_ok(&m, far_add, "add far");
	snprintf(rlog, sizeof(rlog), "%s.far.log", rdir);
	{
		const char *args[] = {"node-coordinator", "start", "--daemon-id", "far", "--join",
				      m.url, "--join-token", m.token, "--remote", "--state-dir",
				      rdir, "--listen", "127.0.0.1:0", NULL};

		far = cm_p_spawn("bpi-core", args, rlog);
	}
	ck_assert_int_eq(cm_p_wait_daemon(m.url, "far", "running", 0), far);

	cm_p_cli(&r, m.dir, mv);
	ck_assert_msg(r.status == 2, "exit %d: %s", r.status, r.err);
	ck_assert_msg(strstr(r.err, "cannot change hosts") && strstr(r.err, "\"far\""), "%s",
		      r.err);
	bpci_test_run_free(&r);
	ck_assert_int_eq(daemon_at(m.url, "mid", parent, sizeof(parent)), mid);
	ck_assert_str_eq(parent, "root");
	ck_assert(supervises(m.dir, "mid"));
	cm_p_stop_child(m.mgr);
	m.mgr = 0;
	ck_assert_uint_eq(cm_count_type(m.dir, "daemon.moved"), 0);
	cm_p_stop_child(far);
	cm_p_stop_daemon(mid);
	unlink(rlog);
	bpci_test_rmtree(rdir);
	free(rdir);
	mtree_end(&m);
}
END_TEST

void cm_add_migrate(Suite *s)
{
	TCase *tc = tcase_create("migrate");

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, move_then_remove_keeps_processes);
	tcase_add_test(tc, killed_manager_finishes_the_move);
	tcase_add_test(tc, remove_refused_when_a_replica_fits_nowhere);
	tcase_add_test(tc, move_across_hosts_refused);
	suite_add_tcase(s, tc);
}
