/* The daemon tree in the cluster manager: journaled changes, refusals that
 * journal nothing, restore after a restart, replicas placed on the root,
 * the API routes and the daemon-tree commands against a real manager. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cm_test.h"

static bpci_daemon_spec *dspec(const char *id, const char *parent, const char *cap, int remote)
{
	bpci_daemon_spec *s = NULL;

	ck_assert_int_eq(bpci_daemon_spec_new(&s), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(s, "id", id, NULL), 0);
	ck_assert_int_eq(bpci_daemon_spec_set(s, "parent", parent, NULL), 0);
	if (cap)
		ck_assert_int_eq(bpci_daemon_spec_set(s, "capacity", cap, NULL), 0);
	if (remote)
		ck_assert_int_eq(bpci_daemon_spec_set(s, "remote", "true", NULL), 0);
	return s;
}

static int add(cm_env *e, const char *id, const char *parent, const char *cap, int remote)
{
	bpci_daemon_spec *s = dspec(id, parent, cap, remote);
	int rc;

	bpci_diag_clear(e->diag);
	rc = bpci_cluster_manager_add_daemon(e->cm, s, e->diag);
	bpci_daemon_spec_free(s);
	return rc;
}

/* Like cm_setup() (ports of its own from cm_free_range()). */
static void setup(cm_env *e)
{
	memset(e, 0, sizeof(*e));
	e->dir = bpci_test_mkdtemp();
	ck_assert_int_eq(bpci_diag_new(&e->diag), 0);
	ck_assert_msg(cm_open(e, NULL) == 0, "open: %s",
		      bpci_diag_last_text(e->diag));
}

static char *tree_text(cm_env *e)
{
	char *j = NULL;

	ck_assert_int_eq(bpci_daemon_tree_to_json(&j, bpci_cluster_manager_tree(e->cm)), 0);
	return j;
}

START_TEST(tree_journaled_and_restored)
{
	cm_env e;
	bpci_resources r;
	char *id = NULL, *before, *after, *plan = NULL, *reps = NULL, *st = NULL;
	uint64_t size;
	int pid;

	setup(&e);
	ck_assert_str_eq(bpci_daemon_tree_root(bpci_cluster_manager_tree(e.cm)), "root");
	ck_assert_int_eq(bpci_cluster_manager_tree_init(e.cm, "root-daemon-001", 3, e.diag), 0);
	ck_assert_int_eq(add(&e, "daemon-002", "root-daemon-001", NULL, 0), 0);
	ck_assert_int_eq(add(&e, "eu-1", "daemon-002", "cpu=8", 1), 0);
	ck_assert_int_eq(add(&e, "x", "root-daemon-001", NULL, 1), 0);
	/* Refusals journal nothing and change nothing. */
	size = cm_ledger_size(e.dir);
	before = tree_text(&e);
	ck_assert_int_eq(add(&e, "deep", "eu-1", NULL, 1), BPCI_ELIMIT);
	ck_assert_str_eq(bpci_diag_get(e.diag, 0)->field, "levels");
	ck_assert_int_eq(add(&e, "eu-1", "x", NULL, 1), BPCI_EEXISTS);
	ck_assert_int_eq(add(&e, "y", "nope", NULL, 1), BPCI_ENOTFOUND);
	/* A local child asking for more CPU than the host has. */
	ck_assert_int_eq(add(&e, "fat", "root-daemon-001", "cpu=100000", 0), BPCI_ELIMIT);
	ck_assert_str_eq(bpci_diag_get(e.diag, 0)->field, "capacity");
	ck_assert_int_eq(bpci_cluster_manager_move_daemon(e.cm, "daemon-002", "eu-1", e.diag),
			 BPCI_EINVAL);
	ck_assert_int_eq(bpci_cluster_manager_tree_init(e.cm, "other", 3, e.diag), BPCI_EEXISTS);
	after = tree_text(&e);
	ck_assert_str_eq(before, after);
	ck_assert_uint_eq(cm_ledger_size(e.dir), size);
	free(before);
	free(after);
	/* Changes. */
	{
		size_t k, tree_events = 0;

		for (k = 0; k < e.nkinds; k++)
			tree_events += e.kinds[k] == BPCI_CLUSTER_DAEMON_TREE_UPDATED;
		ck_assert_uint_eq(tree_events, 4); /* init and three additions */
	}
	ck_assert_int_eq(bpci_cluster_manager_move_daemon(e.cm, "eu-1", "x", e.diag), 0);
	ck_assert_uint_eq(bpci_daemon_tree_level(bpci_cluster_manager_tree(e.cm), "eu-1"), 3);
	ck_assert_int_eq(bpci_cluster_manager_remove_daemon(&plan, e.cm, "x", e.diag), 0);
	ck_assert_str_eq(plan, "{\"steps\":[{\"action\":\"reparent\",\"daemon\":\"eu-1\","
			 "\"from\":\"x\",\"to\":\"root-daemon-001\"},{\"action\":\"remove\","
			 "\"daemon\":\"x\",\"from\":\"root-daemon-001\"}]}");
	/* Replicas go to the root: the other daemons have not joined. */
	memset(&r, 0, sizeof(r));
	r.cpu_millicores = 100;
	r.memory_bytes = 64u << 20;
	ck_assert_int_eq(bpci_cluster_manager_add_enc_replica(&id, e.cm, "enc-t", &r, e.diag), 0);
	pid = cm_wait_running(&e, id);
	ck_assert_str_eq(bpci_daemon_tree_node_daemon(bpci_cluster_manager_tree(e.cm), id),
			 "root-daemon-001");
	ck_assert_int_eq(bpci_cluster_manager_replicas_json(&reps, e.cm), 0);
	ck_assert_ptr_nonnull(strstr(reps, "\"daemon\":\"root-daemon-001\""));
	ck_assert_int_eq(bpci_cluster_manager_tree_status(&st, e.cm), 0);
	ck_assert_ptr_nonnull(strstr(st, "\"node_ids\":[\"replica-1\"]"));
	ck_assert_ptr_nonnull(strstr(st, "\"running\":1"));
	before = tree_text(&e);
	bpci_cluster_manager_free(e.cm);
	e.cm = NULL;
	ck_assert_uint_eq(cm_count_type(e.dir, "tree.initialized"), 1);
	ck_assert_uint_eq(cm_count_type(e.dir, "daemon.added"), 3);
	ck_assert_uint_eq(cm_count_type(e.dir, "daemon.moved"), 1);
	ck_assert_uint_eq(cm_count_type(e.dir, "daemon.removed"), 1);
	/* Restart: the same tree, the replica re-adopted with its pid. */
	ck_assert_int_eq(cm_open(&e, NULL), 0);
	after = tree_text(&e);
	ck_assert_str_eq(before, after);
	ck_assert_int_eq(cm_wait_running(&e, id), pid);
	free(before);
	free(after);
	bpci_free(plan);
	bpci_free(reps);
	bpci_free(st);
	bpci_free(id);
	cm_teardown(&e);
}
END_TEST

START_TEST(daemon_report_feeds_status)
{
	cm_env e;
	bpci_daemon_live l = BPCI_DAEMON_LIVE_INIT;
	char *st = NULL;

	setup(&e);
	ck_assert_int_eq(add(&e, "r1", "root", NULL, 1), 0);
	l.state = "running";
	l.url = "http://127.0.0.1:1";
	l.token = "t0ken";
	l.pid = 4321;
	l.rtt_ms = 0.5;
	l.heartbeats = 7;
	ck_assert_int_eq(bpci_cluster_manager_daemon_report(e.cm, "r1", &l, e.diag), 0);
	ck_assert_int_eq(bpci_cluster_manager_daemon_report(e.cm, "zz", &l, e.diag),
			 BPCI_ENOTFOUND);
	ck_assert_int_eq(bpci_cluster_manager_tree_status(&st, e.cm), 0);
	ck_assert_ptr_nonnull(strstr(st, "\"pid\":4321"));
	ck_assert_ptr_nonnull(strstr(st, "\"heartbeats\":7"));
	ck_assert_ptr_nonnull(strstr(st, "\"url\":\"http://127.0.0.1:1\""));
	ck_assert_ptr_null(strstr(st, "t0ken"));
	bpci_free(st);
	cm_teardown(&e);
}
END_TEST

/* A second coordinator process (an empty configuration) standing in for
 * a joined daemon: its URL and token are what a join would report. */
static pid_t spawn_coordinator(const char *dir, char *url, char *token, size_t size)
{
	char prog[4096], cfg[4200], path[4200];
	double t0;
	FILE *f;
	size_t n;
	pid_t pid;

	free(bpci_test_write_file(dir, "empty.yaml", "nodes: []\n"));
	snprintf(cfg, sizeof(cfg), "%s/empty.yaml", dir);
	snprintf(path, sizeof(path), "%s/d1", dir);
	snprintf(prog, sizeof(prog), "%s/bin/bpi-core", bpci_test_build_dir());
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(prog, prog, "node-coordinator", "start", "--config", cfg, "--state-dir", path,
		      "--listen", "127.0.0.1:0", (char *)NULL);
		_exit(127);
	}
	snprintf(path, sizeof(path), "%s/d1/api.url", dir);
	for (t0 = (double)time(NULL); access(path, F_OK) != 0 && time(NULL) - t0 < 15;)
		usleep(20 * 1000);
	ck_assert_msg((f = fopen(path, "r")) != NULL, "the coordinator wrote no api.url");
	n = fread(url, 1, size - 1, f);
	url[n] = '\0';
	url[strcspn(url, "\r\n")] = '\0';
	fclose(f);
	snprintf(path, sizeof(path), "%s/d1/api.token", dir);
	ck_assert((f = fopen(path, "r")) != NULL);
	n = fread(token, 1, size - 1, f);
	token[n] = '\0';
	token[strcspn(token, "\r\n")] = '\0';
	fclose(f);
	return pid;
}

static int runs_on(const char *url, const char *token, const char *id)
{
	bpci_client_options o = BPCI_CLIENT_OPTIONS_INIT;
	bpci_node_status *st = NULL;
	bpci_client *cl = NULL;
	int running;

	o.url = url;
	o.token = token;
	ck_assert_int_eq(bpci_client_new(&cl, &o, NULL), 0);
	running = bpci_client_get_node(&st, cl, id, NULL) == 0 &&
		  st->state == BPCI_NODE_STATE_RUNNING;
	bpci_node_status_free(st);
	bpci_client_free(cl);
	return running;
}

START_TEST(rebalance_moves_replicas_to_a_joined_daemon)
{
	cm_env e;
	bpci_daemon_live l = BPCI_DAEMON_LIVE_INIT;
	bpci_daemon_spec *d = dspec("d1", "root", "cpu=2,memory=4Gi", 1);
	bpci_node_status *st = NULL;
	bpci_resources r;
	char url[256], token[256], *plan = NULL, *id1 = NULL, *id2 = NULL, *reps = NULL;
	const char *moved;
	pid_t coord;
	int status;

	setup(&e);
	coord = spawn_coordinator(e.dir, url, token, sizeof(url));
	ck_assert_int_eq(bpci_daemon_spec_set(d, "responsibilities", "node_lifecycle", NULL), 0);
	ck_assert_int_eq(bpci_cluster_manager_add_daemon(e.cm, d, e.diag), 0);
	memset(&r, 0, sizeof(r));
	r.cpu_millicores = 100;
	r.memory_bytes = 64u << 20;
	/* d1 has not joined: both replicas go to the root. */
	ck_assert_int_eq(bpci_cluster_manager_add_enc_replica(&id1, e.cm, "a", &r, e.diag), 0);
	ck_assert_int_eq(bpci_cluster_manager_add_enc_replica(&id2, e.cm, "b", &r, e.diag), 0);
	cm_wait_running(&e, id1);
	cm_wait_running(&e, id2);
	l.state = "running";
	l.url = url;
	l.token = token;
	ck_assert_int_eq(bpci_cluster_manager_daemon_report(e.cm, "d1", &l, e.diag), 0);
	ck_assert_int_eq(bpci_cluster_manager_rebalance(&plan, e.cm, NULL, 0, 1, e.diag), 0);
	ck_assert_ptr_nonnull(strstr(plan, "\"from\":\"root\""));
	ck_assert_ptr_nonnull(strstr(plan, "\"to\":\"d1\""));
	bpci_free(plan);
	ck_assert_int_eq(cm_count_type(e.dir, "replica.moved"), 0);
	ck_assert_int_eq(bpci_cluster_manager_rebalance(&plan, e.cm, NULL, 0, 0, e.diag), 0);
	moved = strstr(plan, id1) ? id1 : id2;
	ck_assert_msg(strstr(plan, "\"action\":\"move_node\""), "%s", plan);
	/* Runs on d1's coordinator, gone from the root's. */
	ck_assert(runs_on(url, token, moved));
	ck_assert_int_eq(bpci_coordinator_get_node(&st, bpci_cluster_manager_coordinator(e.cm),
						   moved, NULL), BPCI_ENOTFOUND);
	ck_assert_str_eq(bpci_daemon_tree_node_daemon(bpci_cluster_manager_tree(e.cm), moved),
			 "d1");
	ck_assert_int_eq(bpci_cluster_manager_replicas_json(&reps, e.cm), 0);
	ck_assert_ptr_nonnull(strstr(reps, "\"daemon\":\"d1\""));
	bpci_free(plan);
	/* Removing d1 brings its replica back to the root first. */
	ck_assert_int_eq(bpci_cluster_manager_remove_daemon(&plan, e.cm, "d1", e.diag), 0);
	ck_assert_ptr_nonnull(strstr(plan, "\"action\":\"move_node\""));
	ck_assert_int_gt(cm_wait_running(&e, moved), 0);
	ck_assert(!runs_on(url, token, moved));
	bpci_cluster_manager_free(e.cm);
	e.cm = NULL;
	ck_assert_uint_eq(cm_count_type(e.dir, "replica.moved"), 2);
	ck_assert_uint_eq(cm_count_type(e.dir, "daemon.removed"), 1);
	ck_assert_int_eq(cm_open(&e, NULL), 0);
	kill(coord, SIGTERM);
	waitpid(coord, &status, 0);
	bpci_free(plan);
	bpci_free(reps);
	bpci_free(id1);
	bpci_free(id2);
	bpci_daemon_spec_free(d);
	cm_teardown(&e);
}
END_TEST

void cm_add_tree(Suite *s)
{
	TCase *tc = tcase_create("tree");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tree_journaled_and_restored);
	tcase_add_test(tc, daemon_report_feeds_status);
	tcase_add_test(tc, rebalance_moves_replicas_to_a_joined_daemon);
	suite_add_tcase(s, tc);
}
