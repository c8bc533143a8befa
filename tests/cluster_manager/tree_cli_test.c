/* Real processes: bpci-enterprise daemon-tree commands against a running
 * cluster manager, and a standby root taking over after kill -9. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cm_test.h"

static double mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* bpci-enterprise cluster-manager start [--standby]; stdout to DIR/../NAME.log. */
static pid_t spawn_manager(const char *dir, int standby, const char *log)
{
	char prog[4096];
	pid_t pid;

	snprintf(prog, sizeof(prog), "%s/bin/bpci-enterprise", bpci_test_build_dir());
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int in = open("/dev/null", O_RDWR);
		int out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(in, 0);
		dup2(out, 1);
		if (standby)
			execl(prog, prog, "cluster-manager", "start", "--cluster-id", "tree-cluster",
			      "--state-dir", dir, "--standby", (char *)NULL);
		else
			execl(prog, prog, "cluster-manager", "start", "--cluster-id", "tree-cluster",
			      "--state-dir", dir, "--listen", "127.0.0.1:0", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static char *read_url(const char *dir)
{
	char path[4200], buf[256];
	double t0 = mono();
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/api.url", dir);
	while (access(path, F_OK) != 0 && mono() - t0 < 15.0)
		usleep(20 * 1000);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "no api.url");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return strdup(buf);
}

static void run(bpci_test_run *r, const char *dir, const char *const *words)
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

/* The pid of the running replica listed by GET /api/replicas, or 0. */
static int replica_pid(const char *url)
{
	char *resp = NULL, *at;
	int pid = 0;

	if (bpci_cluster_request(&resp, url, NULL, "GET", "/api/replicas", NULL, NULL) == 0 &&
	    strstr(resp, "\"state\":\"running\"") && (at = strstr(resp, "\"pid\":")))
		pid = atoi(at + 6);
	bpci_free(resp);
	return pid;
}

static int wait_replica(const char *url)
{
	double t0 = mono();
	int pid;

	while ((pid = replica_pid(url)) == 0 && mono() - t0 < 15.0)
		usleep(50 * 1000);
	ck_assert_msg(pid > 0, "the replica never ran");
	return pid;
}

static void stop(pid_t pid)
{
	int status;

	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
}

START_TEST(daemon_tree_commands)
{
	char *dir = bpci_test_mkdtemp(), log[4200];
	const char *init[] = {"daemon-tree", "init", "--root-daemon", "root-daemon-001",
			      "--levels", "3", NULL};
	const char *add2[] = {"daemon-tree", "add-daemon", "--daemon-id", "daemon-002",
			      "--parent-id", "root-daemon-001", "--responsibilities",
			      "resource_management,health_monitoring", "--output", "json", NULL};
	const char *add3[] = {"daemon-tree", "add-daemon", "--daemon-id", "eu-1", "--parent-id",
			      "daemon-002", "--capacity", "cpu=8,memory=16Gi", "--labels",
			      "region=eu,jurisdiction=EU", "--remote", NULL};
	const char *deep[] = {"daemon-tree", "add-daemon", "--daemon-id", "deep", "--parent-id",
			      "eu-1", "--remote", NULL};
	const char *cycle[] = {"daemon-tree", "move-daemon", "--daemon-id", "daemon-002",
			       "--parent-id", "eu-1", NULL};
	const char *move[] = {"daemon-tree", "move-daemon", "--daemon-id", "eu-1", "--parent-id",
			      "root-daemon-001", NULL};
	const char *status[] = {"daemon-tree", "status", NULL};
	const char *js[] = {"daemon-tree", "status", "--output", "json", NULL};
	const char *reb[] = {"daemon-tree", "rebalance", "--dry-run", NULL};
	const char *rm[] = {"daemon-tree", "remove-daemon", "--daemon-id", "daemon-002", NULL};
	const char *rmroot[] = {"daemon-tree", "remove-daemon", "--daemon-id", "root-daemon-001",
				NULL};
	bpci_test_run r;
	pid_t mgr;

	snprintf(log, sizeof(log), "%s.primary.log", dir);
	mgr = spawn_manager(dir, 0, log);
	free(read_url(dir));
	run(&r, dir, init);
	ck_assert_msg(r.status == 0, "init: %s", r.err);
	bpci_test_run_free(&r);
	run(&r, dir, add2);
	ck_assert_msg(r.status == 0, "add: %s", r.err);
	ck_assert_str_eq(r.out, "{\"daemon_id\":\"daemon-002\",\"parent_id\":"
			 "\"root-daemon-001\",\"level\":2}\n");
	bpci_test_run_free(&r);
	run(&r, dir, add3);
	ck_assert_msg(r.status == 0, "add: %s", r.err);
	bpci_test_run_free(&r);
	run(&r, dir, deep);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "would reach level 4, deeper than the tree's 3 "
				     "levels"));
	bpci_test_run_free(&r);
	run(&r, dir, cycle);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "would make a cycle"));
	bpci_test_run_free(&r);
	run(&r, dir, move);
	ck_assert_msg(r.status == 0, "move: %s", r.err);
	bpci_test_run_free(&r);
	run(&r, dir, status);
	ck_assert_msg(r.status == 0, "status: %s", r.err);
	ck_assert_ptr_nonnull(strstr(r.out, "root-daemon-001 [running] pid "));
	/* daemon-002 is LOCAL: the root spawned it (a real bpi-core). */
	ck_assert_ptr_nonnull(strstr(r.out, "\n|-- daemon-002 ["));
	ck_assert_ptr_null(strstr(r.out, "\n|-- daemon-002 [starting] pid 0"));
	ck_assert_ptr_nonnull(strstr(r.out, "\n`-- eu-1 [starting, remote] pid 0"));
	bpci_test_run_free(&r);
	run(&r, dir, js);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "\"labels\":{\"jurisdiction\":\"EU\",\"region\":\"eu\"}"));
	bpci_test_run_free(&r);
	run(&r, dir, reb);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.out, "nothing to move: no move lowers the most loaded daemon's load\n");
	bpci_test_run_free(&r);
	run(&r, dir, rmroot);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "is the root"));
	bpci_test_run_free(&r);
	run(&r, dir, rm);
	ck_assert_msg(r.status == 0, "remove: %s", r.err);
	ck_assert_str_eq(r.out, "remove     daemon daemon-002 (from under root-daemon-001)\n");
	bpci_test_run_free(&r);
	stop(mgr);
	ck_assert_uint_eq(cm_count_type(dir, "daemon.added"), 2);
	ck_assert_uint_eq(cm_count_type(dir, "daemon.moved"), 1);
	ck_assert_uint_eq(cm_count_type(dir, "daemon.removed"), 1);
	ck_assert_uint_eq(cm_count_type(dir, "tree.initialized"), 1);
	unlink(log);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(standby_takes_over)
{
	char *dir = bpci_test_mkdtemp(), *url, *url2, plog[4200], slog[4200], *resp = NULL;
	const char *add[] = {"cluster-manager", "add-replica", "--name", "enc-sb", "--cpu-cores",
			     "100m", "--memory-gb", "64Mi", "--storage-gb", "0", NULL};
	const char *addd[] = {"daemon-tree", "add-daemon", "--daemon-id", "eu-1", "--parent-id",
			      "root", "--remote", NULL};
	const char *second[] = {"cluster-manager", "start", "--cluster-id", "tree-cluster",
				"--listen", "127.0.0.1:0", NULL};
	bpci_test_run r;
	pid_t primary, standby;
	int pid, status, code = 0;
	double t0, took;

	snprintf(plog, sizeof(plog), "%s.primary.log", dir);
	snprintf(slog, sizeof(slog), "%s.standby.log", dir);
	primary = spawn_manager(dir, 0, plog);
	url = read_url(dir);
	run(&r, dir, add);
	ck_assert_msg(r.status == 0, "add-replica: %s", r.err);
	bpci_test_run_free(&r);
	run(&r, dir, addd);
	ck_assert_msg(r.status == 0, "add-daemon: %s", r.err);
	bpci_test_run_free(&r);
	pid = wait_replica(url);
	/* A second primary is refused: the directory is in use. */
	run(&r, dir, second);
	ck_assert_int_eq(r.status, 1);
	ck_assert_ptr_nonnull(strstr(r.err, "already runs on"));
	bpci_test_run_free(&r);
	standby = spawn_manager(dir, 1, slog);
	usleep(300 * 1000);
	ck_assert_int_eq(waitpid(standby, &status, WNOHANG), 0);  /* still waiting */
	kill(primary, SIGKILL);
	waitpid(primary, &status, 0);
	t0 = mono();
	/* The same address answers again, from the standby. */
	while (mono() - t0 < 15.0) {
		bpci_free(resp);
		if (bpci_cluster_request(&resp, url, NULL, "GET", "/api/cluster-manager/health",
					 NULL, NULL) == 0)
			break;
		usleep(10 * 1000);
	}
	took = mono() - t0;
	ck_assert_msg(resp && strstr(resp, "\"status\":\"ok\""), "no health answer");
	bpci_free(resp);
	resp = NULL;
	fprintf(stderr, "standby takeover: health answered %.0f ms after kill -9\n",
		took * 1000.0);
	ck_assert_msg(took < 10.0, "takeover took %.1f s", took);
	url2 = read_url(dir);
	ck_assert_str_eq(url, url2);
	/* The same replica, the same process. */
	ck_assert_int_eq(wait_replica(url), pid);
	ck_assert(cm_alive(pid));
	code = bpci_cluster_request(&resp, url, NULL, "GET", "/api/daemon-tree/status", NULL,
				    NULL);
	ck_assert_int_eq(code, 0);
	ck_assert_ptr_nonnull(strstr(resp, "\"daemon_id\":\"eu-1\""));
	ck_assert_msg(strstr(resp, url) != NULL, "the root's URL is not in %s", resp);
	bpci_free(resp);
	stop(standby);
	ck_assert(!cm_alive(pid));
	unlink(plog);
	unlink(slog);
	free(url);
	free(url2);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

void cm_add_standby(Suite *s)
{
	TCase *tc = tcase_create("tree_cli");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, daemon_tree_commands);
	tcase_add_test(tc, standby_takes_over);
	suite_add_tcase(s, tc);
}
