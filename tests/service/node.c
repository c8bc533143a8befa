/* bpci-node as a real child process: the contract in its environment,
 * readiness and heartbeats on our notify socket, HTTP on its port,
 * SIGTERM, and the exit statuses for bad input. */
#include <arpa/inet.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/notify.h"
#include "runtime/port.h"
#include "service_test.h"

extern char **environ;

#define MAX_EVENTS 64

typedef struct events {
	pid_t child;
	int n, foreign;
	unsigned int present[MAX_EVENTS];
	long at[MAX_EVENTS];
	int ready, stopping, watchdogs;
	int want_watchdogs, watchdogs_done;
	char status[128];
} events;

static char *dir, *spec_path, *err_path;
static pid_t live_child; /* a node not yet reaped, killed if a test fails */

static void kill_live_child(void)
{
	if (live_child > 0) {
		kill(live_child, SIGKILL);
		waitpid(live_child, NULL, 0);
		live_child = 0;
	}
}

static void setup(void)
{
	static int registered;

	/* A failed assertion ends the test (and, forked, its process) before
	 * it stops its node; neither path may leave the node running. */
	if (!registered++)
		atexit(kill_live_child);
	kill_live_child(); /* unforked, a failed test skips its teardown */
	svc_clear_env();
	dir = bpci_test_mkdtemp();
	spec_path = svc_write_storage_spec(dir, "spec.json", NULL);
	ck_assert(asprintf(&err_path, "%s/stderr.txt", dir) > 0);
}

static void teardown(void)
{
	kill_live_child();
	bpci_test_rmtree(dir);
	free(dir);
	free(spec_path);
	free(err_path);
}

static void on_notify(pid_t pid, const bpci__notify_msg *msg, void *payload)
{
	events *e = payload;

	if (pid != e->child) {
		e->foreign++;
		return;
	}
	if (e->n < MAX_EVENTS) {
		e->present[e->n] = msg->present;
		e->at[e->n] = svc_now_ms();
	}
	e->n++;
	if (msg->present & BPCI__NOTIFY_READY)
		e->ready = 1;
	if (msg->present & BPCI__NOTIFY_STOPPING)
		e->stopping = 1;
	if (msg->present & BPCI__NOTIFY_WATCHDOG)
		e->watchdogs++;
	if (e->want_watchdogs && e->watchdogs >= e->want_watchdogs)
		e->watchdogs_done = 1;
	if (msg->present & BPCI__NOTIFY_STATUS)
		snprintf(e->status, sizeof(e->status), "%s", msg->status);
}

/* Our environment without the contract's variables, plus @extra. */
static char **child_env(const char *const *extra)
{
	static const char *const drop[] = {"BPCI_NODE_", "BPCI_COORDINATOR_URL=",
					   "NOTIFY_SOCKET=", "WATCHDOG_"};
	size_t n = 0, i, j, k = 0;
	char **env;

	while (environ[n])
		n++;
	for (i = 0; extra && extra[i]; i++)
		;
	env = calloc(n + i + 1, sizeof(*env));
	ck_assert_ptr_nonnull(env);
	for (j = 0; j < n; j++) {
		int keep = 1;

		for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
			keep &= strncmp(environ[j], drop[i], strlen(drop[i])) != 0;
		if (keep)
			env[k++] = environ[j];
	}
	for (i = 0; extra && extra[i]; i++)
		env[k++] = (char *)extra[i];
	return env;
}

/* In the child, before exec: only async-signal-safe calls. */
static void child_setup(pid_t parent)
{
	int fd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	/* Its own process group, as the coordinator starts a node; and it dies
	 * with the test, whose failure may come before the test stops it. */
	if (setpgid(0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
	    getppid() != parent || fd < 0 || null < 0 || dup2(null, 0) < 0 ||
	    dup2(null, 1) < 0 || dup2(fd, 2) < 0)
		_exit(127);
}

/* Start build/bin/bpci-node with @args and @extra environment; its stderr
 * goes to err_path. */
static pid_t spawn_node(const char *const *args, const char *const *extra)
{
	char *prog, *argv[16];
	char **env = child_env(extra);
	pid_t pid, parent = getpid();
	size_t i;

	ck_assert(asprintf(&prog, "%s/bin/bpci-node", bpci_test_build_dir()) > 0);
	argv[0] = prog;
	for (i = 0; args && args[i] && i < 14; i++)
		argv[i + 1] = (char *)args[i];
	argv[i + 1] = NULL;
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		child_setup(parent);
		execve(prog, argv, env);
		_exit(127);
	}
	free(env);
	free(prog);
	live_child = pid;
	return pid;
}

/* Wait up to @ms for @pid; returns its exit status, or -1 on timeout (then
 * the child is killed and reaped). */
static int wait_exit(pid_t pid, int ms)
{
	long deadline = svc_now_ms() + ms;
	int st;

	while (svc_now_ms() < deadline) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		ck_assert_int_ge(r, 0);
		if (r == pid) {
			live_child = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		usleep(5000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	live_child = 0;
	return -1;
}

static char *read_err(void)
{
	FILE *f = fopen(err_path, "r");
	char *buf = calloc(1, 16384);

	ck_assert_ptr_nonnull(buf);
	if (f) {
		size_t n = fread(buf, 1, 16383, f);

		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

START_TEST(ready_watchdog_health_metrics_and_sigterm)
{
	struct event_base *base = event_base_new();
	bpci__notify_server *srv;
	events ev = {0};
	uint16_t port;
	char *sock, *body, *err, env_port[32], env_cfg[512], env_sock[512];
	long t_term, gap, sum, gaps;
	int i, status;

	ck_assert_int_eq(bpci__port_free_tcp(NULL, &port, NULL), 0);
	ck_assert(asprintf(&sock, "%s/notify.sock", dir) > 0);
	ck_assert_int_eq(bpci__notify_server_new(&srv, base, sock, on_notify, &ev, NULL), 0);
	snprintf(env_port, sizeof(env_port), "BPCI_NODE_PORT=%u", port);
	snprintf(env_cfg, sizeof(env_cfg), "BPCI_NODE_CONFIG=%s", spec_path);
	snprintf(env_sock, sizeof(env_sock), "NOTIFY_SOCKET=%s", sock);
	ev.child = spawn_node(NULL, (const char *const[]){
		"BPCI_NODE_ID=store-a", "BPCI_NODE_TYPE=storage", env_port, env_cfg,
		"BPCI_COORDINATOR_URL=http://127.0.0.1:1", env_sock, "WATCHDOG_USEC=200000",
		NULL});

	ck_assert_msg(svc_loop_until(base, &ev.ready, 5000), "no READY=1 from the child");
	ck_assert_int_eq(ev.foreign, 0);
	ck_assert_uint_eq(ev.present[0], BPCI__NOTIFY_READY | BPCI__NOTIFY_STATUS);
	{
		char want[64];

		snprintf(want, sizeof(want), "serving on 127.0.0.1:%u", port);
		ck_assert_str_eq(ev.status, want);
	}

	ck_assert_int_eq(svc_http(port, NULL, "/health", NULL, NULL, &body, NULL), 200);
	ck_assert_contains(body, "\"id\":\"store-a\"");
	ck_assert_contains(body, "\"type\":\"storage\"");
	ck_assert_contains(body, "\"status\":\"ok\"");
	free(body);

	/* WATCHDOG_USEC=200000: a heartbeat every 100 ms. */
	ev.want_watchdogs = ev.watchdogs + 4;
	ck_assert_msg(svc_loop_until(base, &ev.watchdogs_done, 2000),
		      "%d WATCHDOG=1 in 2 s, want at least 4", ev.watchdogs);
	/* Each gap near 100 ms, and so is their mean: at the full interval
	 * (200 ms) the coordinator would already count the node as late. */
	for (i = 1, gaps = 0, sum = 0; i < ev.n && i < MAX_EVENTS; i++) {
		if (!(ev.present[i] & BPCI__NOTIFY_WATCHDOG) ||
		    !(ev.present[i - 1] & BPCI__NOTIFY_WATCHDOG))
			continue;
		gap = ev.at[i] - ev.at[i - 1];
		ck_assert_msg(gap >= 50 && gap <= 250, "watchdog gap %ld ms, want ~100", gap);
		sum += gap;
		gaps++;
	}
	ck_assert_int_ge(gaps, 3);
	ck_assert_msg(sum / gaps >= 70 && sum / gaps <= 140, "mean watchdog gap %ld ms",
		      sum / gaps);

	ck_assert_int_eq(svc_http(port, NULL, "/metrics", NULL, NULL, &body, NULL), 200);
	svc_check_exposition(body);
	ck_assert_contains(body, "\nbpci_node_http_requests_total{path=\"/health\",code=\"200\"} 1\n");
	/* The node leads its process group: the group's figures are there. */
	ck_assert_contains(body, "\nnode_distribution_node_cpu_seconds_total{node_id=\"store-a\","
				 "node_type=\"storage\"} ");
	ck_assert_contains(body, "\nnode_distribution_node_memory_usage_bytes{node_id=\"store-a\","
				 "node_type=\"storage\"} ");
	ck_assert_contains(body, "\nnode_distribution_node_processes{node_id=\"store-a\","
				 "node_type=\"storage\"} 1\n");
	ck_assert_contains(body, "\nnode_distribution_node_open_fds{node_id=\"store-a\","
				 "node_type=\"storage\"} ");
	ck_assert_contains(body, "\nprocess_open_fds ");
	free(body);

	t_term = svc_now_ms();
	ck_assert_int_eq(kill(ev.child, SIGTERM), 0);
	ck_assert_msg(svc_loop_until(base, &ev.stopping, 1000), "no STOPPING=1");
	status = wait_exit(ev.child, 1000);
	ck_assert_int_eq(status, 0);
	ck_assert_int_lt(svc_now_ms() - t_term, 1000);

	err = read_err();
	ck_assert_contains(err, "storage node 'store-a'");
	ck_assert_contains(err, "params: storage_type=distributed capacity_gb=1000Gi "
				"replication_factor=3");
	ck_assert_contains(err, "not part of this release");
	ck_assert_contains(err, "stopped");
	free(err);
	bpci__notify_server_free(srv);
	event_base_free(base);
	free(sock);
}
END_TEST

/* Run bpci-node with @args and @env; expect exit @code and each needle
 * in its stderr. */
static void expect_exit(const char *const *args, const char *const *env, int code,
			const char *const *needles)
{
	pid_t pid = spawn_node(args, env);
	int st = wait_exit(pid, 5000);
	char *err = read_err();
	size_t i;

	ck_assert_msg(st == code, "exit %d, want %d; stderr:\n%s", st, code, err);
	for (i = 0; needles[i]; i++)
		ck_assert_contains(err, needles[i]);
	free(err);
}

START_TEST(bad_environment_exits_2)
{
	char cfg[512], bad[512], *badjson;

	snprintf(cfg, sizeof(cfg), "BPCI_NODE_CONFIG=%s", spec_path);
	expect_exit(NULL, (const char *const[]){"BPCI_NODE_TYPE=nonsense", "BPCI_NODE_PORT=1",
						 cfg, NULL},
		    2, (const char *const[]){"BPCI_NODE_TYPE", "'nonsense'", NULL});
	expect_exit(NULL, (const char *const[]){"BPCI_NODE_TYPE=storage",
						 "BPCI_NODE_PORT=70000", cfg, NULL},
		    2, (const char *const[]){"BPCI_NODE_PORT", "'70000'", NULL});
	expect_exit(NULL, (const char *const[]){"BPCI_NODE_TYPE=storage", "BPCI_NODE_PORT=1",
						 "BPCI_NODE_CONFIG=/nonexistent/spec.json",
						 NULL},
		    2, (const char *const[]){"BPCI_NODE_CONFIG", "/nonexistent/spec.json",
					     NULL});
	badjson = bpci_test_write_file(dir, "bad.json", "{\"type\": \"storage\", params}");
	snprintf(bad, sizeof(bad), "BPCI_NODE_CONFIG=%s", badjson);
	expect_exit(NULL, (const char *const[]){"BPCI_NODE_TYPE=storage", "BPCI_NODE_PORT=1",
						 bad, NULL},
		    2, (const char *const[]){"BPCI_NODE_CONFIG", "bad.json:1:", NULL});
	expect_exit(NULL, NULL, 2,
		    (const char *const[]){"BPCI_NODE_TYPE is not set",
					  "BPCI_NODE_PORT is not set",
					  "BPCI_NODE_CONFIG is not set", NULL});
	free(badjson);
}
END_TEST

START_TEST(port_in_use_exits_1)
{
	struct sockaddr_in sa = {0};
	socklen_t len = sizeof(sa);
	char portarg[16], want[64];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(portarg, sizeof(portarg), "%u", ntohs(sa.sin_port));
	snprintf(want, sizeof(want), "127.0.0.1:%u is already in use", ntohs(sa.sin_port));
	expect_exit((const char *const[]){"--type", "storage", "--port", portarg, "--config",
					  spec_path, NULL},
		    NULL, 1, (const char *const[]){want, NULL});
	close(fd);
}
END_TEST

START_TEST(flags_run_by_hand)
{
	/* --port 0 and the other flags override the environment. */
	events ev = {0};
	struct event_base *base = event_base_new();
	bpci__notify_server *srv;
	char *sock, env_sock[512], *err;
	const char *p;
	unsigned int port = 0;
	char *body;

	ck_assert(asprintf(&sock, "%s/n.sock", dir) > 0);
	ck_assert_int_eq(bpci__notify_server_new(&srv, base, sock, on_notify, &ev, NULL), 0);
	snprintf(env_sock, sizeof(env_sock), "NOTIFY_SOCKET=%s", sock);
	ev.child = spawn_node((const char *const[]){"--type", "storage", "--port", "0",
						    "--config", spec_path, "--id", "manual-1",
						    NULL},
			      (const char *const[]){"BPCI_NODE_TYPE=nonsense", env_sock, NULL});
	ck_assert_msg(svc_loop_until(base, &ev.ready, 5000), "no READY=1");
	ck_assert_ptr_nonnull(p = strstr(ev.status, "127.0.0.1:"));
	port = (unsigned int)strtoul(p + 10, NULL, 10);
	ck_assert_uint_gt(port, 0);
	ck_assert_int_eq(svc_http(port, NULL, "/health", NULL, NULL, &body, NULL), 200);
	ck_assert_contains(body, "\"id\":\"manual-1\"");
	free(body);
	ck_assert_int_eq(kill(ev.child, SIGINT), 0);
	ck_assert_int_eq(wait_exit(ev.child, 1000), 0);
	err = read_err();
	ck_assert_contains(err, "ready on http://127.0.0.1:");
	free(err);
	bpci__notify_server_free(srv);
	event_base_free(base);
	free(sock);
}
END_TEST

START_TEST(help_version_and_usage_errors)
{
	bpci_test_run r;

	bpci_test_run_program(&r, "bpci-node", (const char *const[]){"--help", NULL});
	ck_assert_int_eq(r.status, 0);
	ck_assert_contains(r.out, "BPCI_NODE_ID");
	ck_assert_contains(r.out, "BPCI_NODE_TYPE");
	ck_assert_contains(r.out, "BPCI_NODE_PORT");
	ck_assert_contains(r.out, "BPCI_NODE_CONFIG");
	ck_assert_contains(r.out, "BPCI_COORDINATOR_URL");
	ck_assert_contains(r.out, "NOTIFY_SOCKET");
	ck_assert_contains(r.out, "WATCHDOG_USEC");
	ck_assert_contains(r.out, "--type TYPE");
	ck_assert_contains(r.out, "--port PORT");
	ck_assert_contains(r.out, "--config FILE");
	ck_assert_contains(r.out, "--id ID");
	ck_assert_contains(r.out, "later\nrelease");
	ck_assert_contains(r.out, "does not perform them");
	bpci_test_run_free(&r);

	bpci_test_run_program(&r, "bpci-node", (const char *const[]){"--version", NULL});
	ck_assert_int_eq(r.status, 0);
	ck_assert_contains(r.out, "bpci-node " BPCI_VERSION);
	bpci_test_run_free(&r);

	bpci_test_run_program(&r, "bpci-node", (const char *const[]){"--bogus", NULL});
	ck_assert_int_eq(r.status, 2);
	ck_assert_contains(r.err, "'--bogus'");
	bpci_test_run_free(&r);

	bpci_test_run_program(&r, "bpci-node", (const char *const[]){"--port", "99999", NULL});
	ck_assert_int_eq(r.status, 2);
	ck_assert_contains(r.err, "--port must be 0..65535, got '99999'");
	bpci_test_run_free(&r);
}
END_TEST

TCase *svc_test_node(void)
{
	TCase *tc = tcase_create("bpci-node");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, ready_watchdog_health_metrics_and_sigterm);
	tcase_add_test(tc, bad_environment_exits_2);
	tcase_add_test(tc, port_in_use_exits_1);
	tcase_add_test(tc, flags_run_by_hand);
	tcase_add_test(tc, help_version_and_usage_errors);
	return tc;
}
