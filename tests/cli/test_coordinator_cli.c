/*
 * bpi-core node-coordinator start as a real background process, and its
 * client commands against it: start-node for every type, status (table and
 * JSON), logs, restart-node, stop-node, kill -9 of a node, reload (SIGHUP
 * and the command), exit 3 without a daemon, and SIGTERM stopping every
 * node process.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bpci.h"
#include "cli_tests.h"

#define CORE "bpi-core"
#define NC "node-coordinator"
#define SLEEPER "/bin/sh -c 'echo started; exec sleep 120'"

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void pause_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* Spawn build/bin/bpi-core with @argv (NULL-terminated, after argv[0]),
 * stdout and stderr into @out and @err. */
static pid_t spawn_core(const char *const *argv, const char *out, const char *err)
{
	char prog[512];
	const char *full[32];
	size_t n = 0;
	pid_t pid;

	snprintf(prog, sizeof(prog), "%s/bin/bpi-core", bpci_test_build_dir());
	full[n++] = prog;
	while (argv[n - 1] && n < 31) {
		full[n] = argv[n - 1];
		n++;
	}
	full[n] = NULL;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int in = open("/dev/null", O_RDONLY);

		dup2(in, 0);
		dup2(o, 1);
		dup2(e, 2);
		execv(prog, (char *const *)full);
		_exit(127);
	}
	return pid;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);

	if (f) {
		size_t n = fread(buf, 1, 65535, f);

		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

typedef struct coord_daemon {
	char *dir, *state, *config, *out, *err;
	pid_t pid;
} coord_daemon;

static char *join(const char *dir, const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);

	sprintf(p, "%s/%s", dir, name);
	return p;
}

/* Wait for @path to exist; fail after @secs. */
static void wait_file(const char *path, double secs, const coord_daemon *d)
{
	double t0 = mono();

	while (access(path, F_OK) != 0) {
		if (mono() - t0 > secs) {
			char *e = read_file(d->err);

			ck_abort_msg("%s did not appear; daemon stderr:\n%.1500s", path, e);
		}
		pause_ms(20);
	}
}

/* The daemon of the running test, stopped by the teardown when a failed
 * assertion skipped daemon_stop() (its nodes must not outlive the test). */
static pid_t live_daemon;

static void teardown_daemon(void)
{
	int status;

	if (live_daemon <= 0)
		return;
	kill(live_daemon, SIGTERM);
	waitpid(live_daemon, &status, 0);
	live_daemon = 0;
}

static void daemon_start(coord_daemon *d, const char *config_yaml)
{
	char *url;
	const char *argv[16];

	memset(d, 0, sizeof(*d));
	d->dir = bpci_test_mkdtemp();
	d->state = join(d->dir, "state");
	d->config = bpci_test_write_file(d->dir, "config.yaml", config_yaml);
	d->out = join(d->dir, "daemon.out");
	d->err = join(d->dir, "daemon.err");
	argv[0] = NC;
	argv[1] = "start";
	argv[2] = "--config";
	argv[3] = d->config;
	argv[4] = "--state-dir";
	argv[5] = d->state;
	argv[6] = "--listen";
	argv[7] = "127.0.0.1:0";
	argv[8] = NULL;
	d->pid = spawn_core(argv, d->out, d->err);
	live_daemon = d->pid;
	url = join(d->state, "api.url");
	wait_file(url, 20.0, d);
	free(url);
}

/* SIGTERM; the daemon must exit 0 within 20 s. */
static void daemon_stop(coord_daemon *d)
{
	double t0 = mono();
	int status = 0;
	pid_t w;

	kill(d->pid, SIGTERM);
	while ((w = waitpid(d->pid, &status, WNOHANG)) == 0 && mono() - t0 < 20.0)
		pause_ms(20);
	if (w == 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, &status, 0);
		live_daemon = 0;
		ck_abort_msg("the coordinator did not stop on SIGTERM");
	}
	live_daemon = 0;
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "coordinator exit status %d", status);
}

static void daemon_free(coord_daemon *d)
{
	bpci_test_rmtree(d->dir);
	free(d->dir);
	free(d->state);
	free(d->config);
	free(d->out);
	free(d->err);
}

/* The nodes as `status --output json` reports them. */
static bpci_node_status_list *status_json(const coord_daemon *d)
{
	bpci_test_run r;
	bpci_node_status_list *list = NULL;

	cli_run(&r, CORE, NC, "status", "--state-dir", d->state, "--output", "json", NULL);
	cli_expect(&r, 0);
	ck_assert_int_eq(bpci_node_status_list_from_json(&list, r.out, strlen(r.out), NULL), 0);
	bpci_test_run_free(&r);
	return list;
}

static const bpci_node_status *find(const bpci_node_status_list *l, const char *id)
{
	size_t i;

	for (i = 0; i < bpci_node_status_list_count(l); i++)
		if (strcmp(bpci_node_status_list_get(l, i)->id, id) == 0)
			return bpci_node_status_list_get(l, i);
	return NULL;
}

/* Poll status until node @id runs with a pid other than @not_pid. */
static int wait_running(const coord_daemon *d, const char *id, int not_pid)
{
	double t0 = mono();

	while (mono() - t0 < 15.0) {
		bpci_node_status_list *l = status_json(d);
		const bpci_node_status *s = find(l, id);
		int pid = s && s->state == BPCI_NODE_STATE_RUNNING && s->pid != not_pid ? s->pid
											 : 0;

		bpci_node_status_list_free(l);
		if (pid)
			return pid;
		pause_ms(50);
	}
	ck_abort_msg("node %s never ran with a new pid", id);
	return 0;
}

static void wait_absent(const coord_daemon *d, const char *id)
{
	double t0 = mono();

	while (mono() - t0 < 15.0) {
		bpci_node_status_list *l = status_json(d);
		int there = find(l, id) != NULL;

		bpci_node_status_list_free(l);
		if (!there)
			return;
		pause_ms(50);
	}
	ck_abort_msg("node %s is still there", id);
}

static int alive(int pid)
{
	return pid > 0 && kill(pid, 0) == 0;
}

static const char config_one[] =
	"nodes:\n"
	"  - type: storage\n"
	"    name: store-a\n"
	"    storage_type: distributed\n"
	"    capacity_gb: 10\n"
	"    command: [/bin/sh, -c, 'echo line one; echo line two; exec sleep 120']\n"
	"    health:\n"
	"      type: none\n";

static const char config_extra[] =
	"  - type: audit\n"
	"    name: audit-extra\n"
	"    audit_scope: node\n"
	"    command: [/bin/sh, -c, 'exec sleep 120']\n"
	"    health:\n"
	"      type: none\n";

/* One start-node per type, each with the type's required flags. */
static void start_every_type(const coord_daemon *d)
{
	static const char *const flags[8][5] = {
		{"enc-cluster", "--cluster-id", "enc-001", "--encryption-level", "military"},
		{"oracle", "--oracle-type", "price-feed", "--chains", "ethereum,polygon"},
		{"shadow-registry", "--registry-type", "web2-web3-bridge", NULL, NULL},
		{"pipeline-api", "--pipeline-id", "pipeline-001", NULL, NULL},
		{"storage", "--storage-type", "archive", "--capacity-gb", "20"},
		{"proof", "--proof-type", "transaction", NULL, NULL},
		{"audit", "--audit-scope", "transaction", NULL, NULL},
		{"logbook", "--logbook-type", "auction", NULL, NULL},
	};
	size_t t;

	for (t = 0; t < 8; t++) {
		bpci_test_run r;
		const char *a[3] = {flags[t][1], flags[t][3] ? flags[t][3] : "--health-check",
				    flags[t][3] ? flags[t][4] : "none"};

		cli_run(&r, CORE, NC, "start-node", "--type", flags[t][0], a[0], flags[t][2], a[1],
			a[2], "--command", SLEEPER, "--health-check", "none", "--wait",
			"--timeout", "15", "--state-dir", d->state, NULL);
		cli_expect(&r, 0);
		ck_assert_int_eq(strncmp(r.out, flags[t][0], strlen(flags[t][0])), 0);
		cli_assert_has(r.err, ": running");
		bpci_test_run_free(&r);
	}
}

static void check_table(const coord_daemon *d)
{
	bpci_test_run r;

	cli_run(&r, CORE, NC, "status", "--state-dir", d->state, NULL);
	cli_expect(&r, 0);
	ck_assert_msg(strncmp(r.out, "ID", 2) == 0, "%s", r.out);
	cli_assert_has(r.out, "NAME");
	cli_assert_has(r.out, "STATE");
	cli_assert_has(r.out, "RESTARTS");
	cli_assert_has(r.out, "UPTIME");
	cli_assert_has(r.out, "ENDPOINT");
	cli_assert_has(r.out, "store-a");
	cli_assert_has(r.out, "http://127.0.0.1:");
	bpci_test_run_free(&r);

	cli_run(&r, CORE, NC, "status", "--type", "oracle", "--state-dir", d->state, NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "oracle-1");
	ck_assert_ptr_null(strstr(r.out, "storage-1"));
	bpci_test_run_free(&r);

	cli_run(&r, CORE, NC, "status", "--type", "oracel", "--state-dir", d->state, NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "got 'oracel'");
	bpci_test_run_free(&r);
}

static void check_logs(const coord_daemon *d)
{
	bpci_test_run r;
	char *out = join(d->dir, "follow.out"), *err = join(d->dir, "follow.err"), *text;
	const char *argv[] = {NC, "logs", "--node-id", "storage-1", "--tail", "1", "--follow",
			      "--state-dir", d->state, NULL};
	pid_t pid;
	int status;

	cli_run(&r, CORE, NC, "logs", "--node-id", "storage-1", "--tail", "2", "--state-dir",
		d->state, NULL);
	cli_expect(&r, 0);
	ck_assert_str_eq(r.out, "line one\nline two\n");
	bpci_test_run_free(&r);

	cli_run(&r, CORE, NC, "logs", "--node-id", "storage-404", "--state-dir", d->state, NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "'storage-404' names no node");
	bpci_test_run_free(&r);

	/* --follow keeps the stream open until interrupted. */
	pid = spawn_core(argv, out, err);
	pause_ms(700);
	ck_assert_int_eq(waitpid(pid, &status, WNOHANG), 0);
	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	text = read_file(out);
	ck_assert_str_eq(text, "line two\n");
	free(text);
	free(out);
	free(err);
}

static int pid_of(const coord_daemon *d, const char *id)
{
	bpci_node_status_list *l = status_json(d);
	const bpci_node_status *s = find(l, id);
	int pid = s ? s->pid : 0;

	bpci_node_status_list_free(l);
	return pid;
}

static void check_restart_kill_stop(const coord_daemon *d)
{
	bpci_test_run r;
	int p1 = pid_of(d, "storage-1"), p2, p3;
	bpci_node_status_list *l;

	ck_assert(alive(p1));
	cli_run(&r, CORE, NC, "restart-node", "--node-id", "storage-1", "--state-dir", d->state,
		NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "storage-1 restarted");
	bpci_test_run_free(&r);
	p2 = wait_running(d, "storage-1", p1);
	ck_assert(!alive(p1) || p1 != p2);

	/* kill -9 of a node: a new pid, one restart more (restart-node counted
	 * the first). */
	kill(p2, SIGKILL);
	p3 = wait_running(d, "storage-1", p2);
	ck_assert_int_ne(p3, p2);
	l = status_json(d);
	ck_assert_uint_eq(find(l, "storage-1")->restarts, 2);
	bpci_node_status_list_free(l);

	p1 = pid_of(d, "proof-1");
	cli_run(&r, CORE, NC, "stop-node", "--node-id", "proof-1", "--state-dir", d->state, NULL);
	cli_expect(&r, 0);
	ck_assert_str_eq(r.out, "proof-1 stopped\n");
	bpci_test_run_free(&r);
	ck_assert(!alive(p1));
	cli_run(&r, CORE, NC, "stop-node", "--node-id", "proof-1", "--state-dir", d->state, NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "'proof-1' names no node");
	bpci_test_run_free(&r);
	cli_run(&r, CORE, NC, "stop-node", "--state-dir", d->state, NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "needs --node-id ID");
	bpci_test_run_free(&r);
}

static void check_reload(const coord_daemon *d)
{
	bpci_test_run r;
	char *both = malloc(strlen(config_one) + strlen(config_extra) + 1);

	/* SIGHUP applies the edited file. */
	sprintf(both, "%s%s", config_one, config_extra);
	free(bpci_test_write_file(d->dir, "config.yaml", both));
	kill(d->pid, SIGHUP);
	wait_running(d, "audit-2", 0);
	/* The reload command applies it again: the extra node goes. */
	free(bpci_test_write_file(d->dir, "config.yaml", config_one));
	cli_run(&r, CORE, NC, "reload", "--state-dir", d->state, NULL);
	cli_expect(&r, 0);
	cli_assert_has(r.out, "configuration reloaded");
	bpci_test_run_free(&r);
	wait_absent(d, "audit-2");
	/* A broken file: exit 2, every problem printed, nothing changes. */
	free(bpci_test_write_file(d->dir, "config.yaml",
				  "nodes:\n  - type: storage\n    capacity_gb: -1\n"));
	cli_run(&r, CORE, NC, "reload", "--state-dir", d->state, NULL);
	cli_expect(&r, 2);
	cli_assert_has(r.err, "capacity_gb");
	cli_assert_has(r.err, "storage_type is required");
	bpci_test_run_free(&r);
	free(bpci_test_write_file(d->dir, "config.yaml", config_one));
	free(both);
}

/* Every node pid the coordinator reports. */
static size_t all_pids(const coord_daemon *d, int *pids, size_t cap)
{
	bpci_node_status_list *l = status_json(d);
	size_t i, n = 0;

	for (i = 0; i < bpci_node_status_list_count(l) && n < cap; i++)
		if (bpci_node_status_list_get(l, i)->pid)
			pids[n++] = bpci_node_status_list_get(l, i)->pid;
	bpci_node_status_list_free(l);
	return n;
}

START_TEST(coordinator_and_its_clients)
{
	coord_daemon d;
	bpci_test_run r;
	bpci_node_status_list *l;
	int pids[32];
	size_t n, i;
	char *out;

	daemon_start(&d, config_one);
	wait_running(&d, "storage-1", 0);
	start_every_type(&d);
	/* Without --command the node runs the reference program bpci-node,
	 * which reports readiness itself (READY=1). */
	cli_run(&r, CORE, NC, "start-node", "--type", "logbook", "--logbook-type", "auction",
		"--name", "reference", "--wait", "--timeout", "30", "--state-dir", d.state, NULL);
	cli_expect(&r, 0);
	ck_assert_str_eq(r.out, "logbook-2\n");
	cli_assert_has(r.err, "logbook-2: running");
	bpci_test_run_free(&r);
	l = status_json(&d);
	ck_assert_uint_eq(bpci_node_status_list_count(l), 10);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(bpci_node_status_list_get(l, i)->state, BPCI_NODE_STATE_RUNNING);
	bpci_node_status_list_free(l);
	check_table(&d);
	check_logs(&d);
	check_restart_kill_stop(&d);
	check_reload(&d);

	/* A second coordinator on the same state directory refuses. */
	cli_run(&r, CORE, NC, "start", "--config", d.config, "--state-dir", d.state, "--listen",
		"127.0.0.1:0", NULL);
	ck_assert_int_ne(r.status, 0);
	cli_assert_has(r.err, "in use by pid");
	bpci_test_run_free(&r);

	n = all_pids(&d, pids, 32);
	ck_assert_uint_eq(n, 9);
	daemon_stop(&d);
	for (i = 0; i < n; i++)
		ck_assert_msg(!alive(pids[i]), "node pid %d survived the coordinator", pids[i]);
	out = read_file(d.out);
	cli_assert_has(out, "node coordinator listening on http://127.0.0.1:");
	cli_assert_has(out, "store-a");
	free(out);
	out = read_file(d.err);
	cli_assert_has(out, "node storage-1 (storage): starting -> running");
	cli_assert_has(out, "stopping every node");
	free(out);
	daemon_free(&d);
}
END_TEST

START_TEST(no_daemon_exits_3)
{
	bpci_test_run r;
	char *dir = bpci_test_mkdtemp();

	cli_run(&r, CORE, NC, "status", "--state-dir", dir, NULL);
	cli_expect(&r, 3);
	cli_assert_has(r.err, "no coordinator is running on state directory");
	cli_assert_has(r.err, "bpi-core node-coordinator start --config FILE");
	ck_assert_str_eq(r.out, "");
	bpci_test_run_free(&r);

	cli_run(&r, CORE, NC, "stop-node", "--node-id", "x", "--url", "http://127.0.0.1:1",
		"--token", "t", NULL);
	cli_expect(&r, 3);
	cli_assert_has(r.err, "no coordinator answers at http://127.0.0.1:1");
	cli_assert_has(r.err, "start a coordinator with");
	bpci_test_run_free(&r);

	cli_run(&r, CORE, NC, "logs", "--node-id", "x", "--url", "http://127.0.0.1:1", NULL);
	cli_expect(&r, 3);
	bpci_test_run_free(&r);

	cli_run(&r, CORE, NC, "start", "--config", "/nonexistent/c.yaml", "--state-dir", dir,
		NULL);
	ck_assert_int_ne(r.status, 0);
	cli_assert_has(r.err, "/nonexistent/c.yaml");
	bpci_test_run_free(&r);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

void cli_add_coordinator_tests(Suite *s)
{
	TCase *tc = tcase_create("coordinator");

	tcase_set_timeout(tc, 240);
	tcase_add_checked_fixture(tc, NULL, teardown_daemon);
	tcase_add_test(tc, no_daemon_exits_3);
	tcase_add_test(tc, coordinator_and_its_clients);
	suite_add_tcase(s, tc);
}
