/* bpci-enterprise cluster-manager: the daemon as a real child process and
 * the client commands against it. */
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

static pid_t start_daemon(const char *dir)
{
	char prog[4096], url[4200];
	pid_t pid;
	double t0;

	snprintf(prog, sizeof(prog), "%s/bin/bpci-enterprise", bpci_test_build_dir());
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		execl(prog, prog, "cluster-manager", "start", "--cluster-id", "cli-cluster",
		      "--state-dir", dir, "--listen", "127.0.0.1:0", "--port-ranges",
		      "40100-40110", (char *)NULL);
		_exit(127);
	}
	snprintf(url, sizeof(url), "%s/api.url", dir);
	for (t0 = mono(); access(url, F_OK) != 0 && mono() - t0 < 15.0;)
		usleep(20 * 1000);
	ck_assert_msg(access(url, F_OK) == 0, "the daemon wrote no api.url");
	return pid;
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

static int replica_pid(const char *dir)
{
	const char *words[] = {"cluster-manager", "replicas", "--output", "json", NULL};
	bpci_test_run r;
	double t0 = mono();
	int pid = 0;
	char *at;

	while (mono() - t0 < 15.0) {
		run(&r, dir, words);
		ck_assert_int_eq(r.status, 0);
		if (strstr(r.out, "\"state\":\"running\"") && (at = strstr(r.out, "\"pid\":")))
			pid = atoi(at + 6);
		bpci_test_run_free(&r);
		if (pid > 0)
			return pid;
		usleep(50 * 1000);
	}
	ck_abort_msg("the replica never ran");
	return 0;
}

START_TEST(cli_daemon)
{
	char *dir = bpci_test_mkdtemp(), url[4200], *at;
	const char *add[] = {"cluster-manager", "add-replica", "--name", "enc-cli", "--cpu-cores",
			     "100m", "--memory-gb", "64Mi", "--storage-gb", "0", "--output", "json",
			     NULL};
	const char *reg[] = {"cluster-manager", "register-node", "--name", "gw-1", "--type",
			     "gateway", "--capabilities", "tls,routing", "--output", "json", NULL};
	const char *alloc[] = {"cluster-manager", "allocate-port", "--service", "web", "--ttl",
			       "1h", "--output", "json", NULL};
	const char *metrics[] = {"cluster-manager", "metrics", "--output", "json", NULL};
	const char *table[] = {"cluster-manager", "metrics", NULL};
	const char *big[] = {"cluster-manager", "add-replica", "--name", "huge", "--cpu-cores",
			     "100000", "--memory-gb", "1", "--storage-gb", "0", NULL};
	const char *gone[] = {"cluster-manager", "metrics", "--url", "http://127.0.0.1:1", NULL};
	const char *rel[] = {"cluster-manager", "release-port", "--port", NULL, NULL};
	char portbuf[16];
	bpci_test_run r;
	pid_t daemon = start_daemon(dir);
	int status, rpid, port;
	double t0;

	run(&r, dir, add);
	ck_assert_msg(r.status == 0, "add-replica: %s", r.err);
	ck_assert_str_eq(r.out, "{\"id\":\"replica-1\",\"name\":\"enc-cli\"}\n");
	bpci_test_run_free(&r);
	run(&r, dir, big);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "does not fit within 80%"));
	bpci_test_run_free(&r);
	run(&r, dir, reg);
	ck_assert_msg(r.status == 0, "register-node: %s", r.err);
	ck_assert_str_eq(r.out, "{\"id\":\"node-1\",\"name\":\"gw-1\"}\n");
	bpci_test_run_free(&r);
	run(&r, dir, alloc);
	ck_assert_msg(r.status == 0, "allocate-port: %s", r.err);
	at = strstr(r.out, "\"port\":");
	ck_assert_ptr_nonnull(at);
	port = atoi(at + 7);
	ck_assert_int_ge(port, 40100);
	ck_assert_int_le(port, 40110);
	bpci_test_run_free(&r);
	rpid = replica_pid(dir);
	ck_assert(cm_alive(rpid));
	run(&r, dir, metrics);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "\"total_nodes\":2"));
	ck_assert_ptr_nonnull(strstr(r.out, "\"active_nodes\":2"));
	ck_assert_ptr_nonnull(strstr(r.out, "\"daemon_tree_health\":1.0"));
	ck_assert_ptr_nonnull(strstr(r.out, "\"ports_allocated\":1"));
	bpci_test_run_free(&r);
	run(&r, dir, table);
	ck_assert_int_eq(r.status, 0);
	ck_assert_ptr_nonnull(strstr(r.out, "resource_utilization.memory_usage_percent"));
	bpci_test_run_free(&r);
	snprintf(portbuf, sizeof(portbuf), "%d", port);
	rel[3] = portbuf;
	run(&r, dir, rel);
	ck_assert_msg(r.status == 0, "release-port: %s", r.err);
	bpci_test_run_free(&r);
	run(&r, dir, rel);
	ck_assert_int_eq(r.status, 2);
	ck_assert_ptr_nonnull(strstr(r.err, "is not leased"));
	bpci_test_run_free(&r);
	bpci_test_run_program(&r, "bpci-enterprise", gone);
	ck_assert_int_eq(r.status, 3);
	bpci_test_run_free(&r);
	ck_assert_uint_eq(cm_count_type(dir, "replica.added"), 1);
	ck_assert_uint_eq(cm_count_type(dir, "node.registered"), 1);
	ck_assert_uint_eq(cm_count_type(dir, "port.released"), 1);

	kill(daemon, SIGTERM);
	for (t0 = mono(); waitpid(daemon, &status, WNOHANG) == 0; usleep(20 * 1000))
		ck_assert_msg(mono() - t0 < 20.0, "the daemon did not exit on SIGTERM");
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	ck_assert(!cm_alive(rpid));
	snprintf(url, sizeof(url), "%s/api.url", dir);
	ck_assert_int_ne(access(url, F_OK), 0);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

void cm_add_cli(Suite *s)
{
	TCase *tc = tcase_create("cli");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, cli_daemon);
	suite_add_tcase(s, tc);
}
