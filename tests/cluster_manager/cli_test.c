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

/* The daemon's port range (cm_free_range()), for the allocate-port check. */
static unsigned int port_base;

static pid_t start_daemon(const char *dir)
{
	char prog[4096], url[4200], range[32];
	pid_t pid;
	double t0;

	snprintf(prog, sizeof(prog), "%s/bin/bpci-enterprise", bpci_test_build_dir());
	port_base = cm_free_range(range, sizeof(range), 11);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);

		dup2(fd, 0);
		dup2(fd, 1);
		execl(prog, prog, "cluster-manager", "start", "--cluster-id", "cli-cluster",
		      "--state-dir", dir, "--listen", "127.0.0.1:0", "--port-ranges",
		      range, (char *)NULL);
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
	ck_assert_int_ge(port, (int)port_base);
	ck_assert_int_le(port, (int)port_base + 10);
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

static char *file_line(const char *dir, const char *name)
{
	char path[4200], buf[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return strdup(buf);
}

/* The HTTP API directly: auth, errors, health, resources, Prometheus,
 * audit, deletions. */
START_TEST(api_routes)
{
	char *dir = bpci_test_mkdtemp(), *url, *token, *out = NULL;
	bpci_diag *d;
	pid_t daemon = start_daemon(dir);
	int status, expired;
	double t0;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	url = file_line(dir, "api.url");
	token = file_line(dir, "api.token");
	ck_assert_uint_eq(strlen(token), 64);
	/* No token: refused; only its api.request is journaled. */
	ck_assert_int_eq(bpci_cluster_request(&out, url, NULL, "POST", "/api/audit",
					      "{\"event\":\"x\"}", d), BPCI_ERROR);
	ck_assert_ptr_nonnull(strstr(out, "unauthorized"));
	bpci_free(out);
	ck_assert_int_eq(bpci_cluster_request(&out, url, token, "POST", "/api/audit",
					      "{\"event\":\"port_allocation\",\"details\":\"ok\"}",
					      d), 0);
	ck_assert_str_eq(out, "{\"event\":\"port_allocation\",\"journaled\":true}");
	bpci_free(out);
	ck_assert_int_eq(bpci_cluster_request(&out, url, token, "POST", "/api/audit", "{}", d),
			 BPCI_EINVAL);
	ck_assert_ptr_nonnull(strstr(out, "\"field\":\"event\""));
	bpci_free(out);
	ck_assert_int_eq(bpci_cluster_request(&out, url, token, "POST", "/api/cluster/nodes",
					      "{\"name\":\"v1\",\"type\":\"validator\"}", d), 0);
	bpci_free(out);
	ck_assert_int_eq(bpci_cluster_request(&out, url, token, "POST", "/api/cluster/nodes",
					      "{\"name\":\"v2\",\"type\":\"wizard\"}", d),
			 BPCI_EINVAL);
	ck_assert_ptr_nonnull(strstr(out, "wizard"));
	bpci_free(out);
	ck_assert_int_eq(bpci_cluster_request(&out, url, token, "DELETE", "/api/cluster/nodes/v1",
					      NULL, d), 0);
	bpci_free(out);
	ck_assert_int_eq(bpci_cluster_request(&out, url, token, "DELETE", "/api/replicas/nope",
					      NULL, d), BPCI_ENOTFOUND);
	bpci_free(out);
	ck_assert_int_eq(bpci_cluster_request(&out, url, NULL, "GET",
					      "/api/cluster-manager/health", NULL, d), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"status\":\"ok\""));
	ck_assert_ptr_nonnull(strstr(out, "\"cluster_id\":\"cli-cluster\""));
	bpci_free(out);
	ck_assert_int_eq(bpci_cluster_request(&out, url, NULL, "GET", "/api/cluster/resources",
					      NULL, d), 0);
	ck_assert_ptr_nonnull(strstr(out, "\"max_utilization_percent\":80"));
	bpci_free(out);
	ck_assert_int_eq(bpci_cluster_request(&out, url, NULL, "GET", "/metrics", NULL, d), 0);
	ck_assert_ptr_nonnull(strstr(out, "# TYPE node_distribution_total_nodes gauge"));
	ck_assert_ptr_nonnull(strstr(out, "node_distribution_daemon_tree_health 1\n"));
	ck_assert_ptr_nonnull(strstr(out, "node_distribution_port_utilization 0\n"));
	/* No replica runs: nothing measured, so no utilization family. */
	ck_assert_ptr_null(strstr(out, "node_distribution_resource_utilization_cpu"));
	bpci_free(out);
	/* A lease of 300 ms ends by itself while the API is idle. */
	ck_assert_int_eq(bpci_cluster_request(&out, url, token, "POST", "/api/ports",
					      "{\"service\":\"tmp\",\"ttl_ms\":300}", d), 0);
	{
		char want[32];

		snprintf(want, sizeof(want), "\"port\":%u", port_base);
		ck_assert_msg(strstr(out, want) != NULL, "%s in %s", want, out);
	}
	bpci_free(out);
	t0 = mono();
	do {
		usleep(100 * 1000);
		ck_assert_int_eq(bpci_cluster_request(&out, url, NULL, "GET", "/api/ports", NULL, d),
				 0);
		expired = strstr(out, "\"ports\":[]") != NULL;
		bpci_free(out);
	} while (!expired && mono() - t0 < 5.0);
	ck_assert_msg(expired, "the lease did not expire");
	ck_assert_uint_eq(cm_count_type(dir, "audit.custom"), 1);
	ck_assert_uint_eq(cm_count_type(dir, "node.unregistered"), 1);
	ck_assert_uint_eq(cm_count_type(dir, "port.released"), 1);
	/* and one api.request for each mutation accepted (audit, node, node
	 * removal, port) or refused for its token; none for the 400s and 404 */
	ck_assert_uint_eq(cm_count_type(dir, "api.request"), 5);
	ck_assert_uint_eq(cm_ledger_size(dir), 10);
	kill(daemon, SIGTERM);
	ck_assert_int_eq(waitpid(daemon, &status, 0), daemon);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	bpci_diag_free(d);
	free(url);
	free(token);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

void cm_add_cli(Suite *s)
{
	TCase *tc = tcase_create("cli");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, cli_daemon);
	tcase_add_test(tc, api_routes);
	suite_add_tcase(s, tc);
}
