/* Health probes on a real event loop: HTTP against the test server, TCP
 * against plain sockets, exec with real commands. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bpci.h"
#include "http_test.h"
#include "common/alloc.h"
#include "runtime/probe.h"

typedef struct outcome {
	int calls;
	int cancel_in_cb;
	bpci__probe_result r;
} outcome;

static void on_result(bpci__probe *p, const bpci__probe_result *r, void *arg)
{
	outcome *o = arg;

	o->calls++;
	o->r = *r;
	if (o->cancel_in_cb)
		bpci__probe_cancel(p);
}

static void on_guard(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = 1;
}

/* Runs the loop until @o has a result or @max_ms pass. */
static void run_for(struct event_base *base, const outcome *o, unsigned int max_ms)
{
	int expired = 0;
	struct timeval tv = {max_ms / 1000, (suseconds_t)(max_ms % 1000) * 1000};
	struct event *guard = evtimer_new(base, on_guard, &expired);

	evtimer_add(guard, &tv);
	while (!expired && (!o || !o->calls))
		event_base_loop(base, EVLOOP_ONCE);
	event_free(guard);
}

typedef struct probe_env {
	struct event_base *base;
	bpci__probe_ctx *ctx;
} probe_env;

static void env_open(probe_env *e)
{
	ck_assert_ptr_nonnull(e->base = event_base_new());
	ck_assert_int_eq(bpci__probe_ctx_new(&e->ctx, e->base, NULL), 0);
}

static void env_close(probe_env *e)
{
	bpci__probe_ctx_free(e->ctx);
	event_base_free(e->base);
}

/* A listening socket on 127.0.0.1:0 that never accepts; returns its fd. */
static int silent_listener(unsigned int *port, int backlog)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, backlog), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

static unsigned int closed_port(void)
{
	unsigned int port;
	int fd = silent_listener(&port, 1);

	close(fd);
	return port;
}

static void http_probe(probe_env *e, const char *url, long expect, unsigned int timeout_ms,
		       outcome *o)
{
	bpci__probe *p;

	ck_assert_int_eq(bpci__probe_http(&p, e->ctx, url, expect, timeout_ms, on_result, o,
					  NULL), 0);
	ck_assert_int_eq(o->calls, 0); /* never from inside the start call */
	run_for(e->base, o, 5000);
	ck_assert_int_eq(o->calls, 1);
	bpci__probe_cancel(p);
}

START_TEST(http_probe_results)
{
	test_server ts;
	probe_env e;
	outcome o = {0};
	char url[128];

	test_server_start(&ts, NULL);
	env_open(&e);
	snprintf(url, sizeof(url), "%s/status", ts.url);
	http_probe(&e, url, 0, 2000, &o);
	ck_assert_int_eq(o.r.ok, 1);
	ck_assert_int_eq(o.r.http_status, 200);
	ck_assert_str_eq(o.r.reason, "HTTP 200");
	ck_assert_int_gt(o.r.latency_us, 0);
	ck_assert_int_lt(o.r.latency_us, 2000000);

	memset(&o, 0, sizeof(o));
	snprintf(url, sizeof(url), "%s/status?code=503", ts.url);
	http_probe(&e, url, 0, 2000, &o);
	ck_assert_int_eq(o.r.ok, 0);
	ck_assert_int_eq(o.r.http_status, 503);
	ck_assert_str_eq(o.r.reason, "HTTP 503");

	memset(&o, 0, sizeof(o)); /* an expected status other than 2xx */
	http_probe(&e, url, 503, 2000, &o);
	ck_assert_int_eq(o.r.ok, 1);

	memset(&o, 0, sizeof(o));
	snprintf(url, sizeof(url), "%s/status?code=204", ts.url);
	http_probe(&e, url, 200, 2000, &o);
	ck_assert_int_eq(o.r.ok, 0);
	ck_assert_str_eq(o.r.reason, "HTTP 204");
	env_close(&e);
	test_server_stop(&ts);
}
END_TEST

START_TEST(http_probe_refused_and_timeout)
{
	probe_env e;
	outcome o = {0};
	char url[128];
	unsigned int port;
	int fd;
	bpci__probe *bad;

	env_open(&e);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/health", closed_port());
	http_probe(&e, url, 0, 2000, &o);
	ck_assert_int_eq(o.r.ok, 0);
	ck_assert_int_eq(o.r.http_status, 0);
	ck_assert_str_eq(o.r.reason, "connection refused");

	memset(&o, 0, sizeof(o));
	fd = silent_listener(&port, 8); /* accepts (in the kernel), never answers */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/health", port);
	http_probe(&e, url, 0, 300, &o);
	ck_assert_int_eq(o.r.ok, 0);
	ck_assert_str_eq(o.r.reason, "timeout after 300 ms");
	ck_assert_int_ge(o.r.latency_us, 250000);
	ck_assert_int_lt(o.r.latency_us, 2000000);
	close(fd);

	ck_assert_int_eq(bpci__probe_http(&bad, e.ctx, "ftp://x/", 0, 100, on_result, &o, NULL),
			 BPCI_EINVAL);
	ck_assert_ptr_null(bad);
	env_close(&e);
}
END_TEST

static void tcp_probe(probe_env *e, const char *host, unsigned int port, unsigned int ms,
		      outcome *o)
{
	bpci__probe *p;

	ck_assert_int_eq(bpci__probe_tcp(&p, e->ctx, host, port, ms, on_result, o, NULL), 0);
	ck_assert_int_eq(o->calls, 0);
	run_for(e->base, o, 5000);
	ck_assert_int_eq(o->calls, 1);
	bpci__probe_cancel(p);
}

START_TEST(tcp_probe_results)
{
	probe_env e;
	outcome o = {0};
	unsigned int port;
	int fd, fillers[4], i, timed_out = 0;
	bpci__probe *p;
	bpci_diag *d;

	env_open(&e);
	fd = silent_listener(&port, 8);
	tcp_probe(&e, "127.0.0.1", port, 1000, &o);
	ck_assert_int_eq(o.r.ok, 1);
	ck_assert_str_eq(o.r.reason, "connected");
	close(fd);

	memset(&o, 0, sizeof(o));
	tcp_probe(&e, "localhost", closed_port(), 1000, &o);
	ck_assert_int_eq(o.r.ok, 0);
	ck_assert_str_eq(o.r.reason, "connection refused");

	/* A listener whose accept queue is full drops further SYNs: the
	 * connect hangs until the probe's deadline. */
	fd = silent_listener(&port, 0);
	for (i = 0; i < 4; i++) {
		struct sockaddr_in sin = {0};

		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		(void)!connect(fillers[i], (struct sockaddr *)&sin, sizeof(sin));
	}
	usleep(50000);
	memset(&o, 0, sizeof(o));
	tcp_probe(&e, "127.0.0.1", port, 300, &o);
	ck_assert_int_eq(o.r.ok, 0);
	ck_assert_str_eq(o.r.reason, "timeout after 300 ms");
	ck_assert_int_ge(o.r.latency_us, 250000);
	ck_assert_int_lt(o.r.latency_us, 2000000);
	timed_out = 1;
	for (i = 0; i < 4; i++)
		close(fillers[i]);
	close(fd);
	ck_assert_int_eq(timed_out, 1);

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci__probe_tcp(&p, e.ctx, "example.com", 80, 100, on_result, &o, d),
			 BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "host must be a numeric IP address");
	ck_assert_contains(bpci_diag_last_text(d), "example.com");
	ck_assert_int_eq(bpci__probe_tcp(&p, e.ctx, "127.0.0.1", 0, 100, on_result, &o, d),
			 BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "port must be 1..65535, got 0");
	bpci_diag_free(d);
	env_close(&e);
}
END_TEST

static void exec_probe(probe_env *e, const char *const *argv, unsigned int ms, outcome *o)
{
	bpci__probe *p;

	ck_assert_int_eq(bpci__probe_exec(&p, e->ctx, argv, ms, on_result, o, NULL), 0);
	ck_assert_int_eq(o->calls, 0);
	run_for(e->base, o, 5000);
	ck_assert_int_eq(o->calls, 1);
	bpci__probe_cancel(p);
}

/* Reads the pid a command wrote into @path. */
static pid_t read_pid(const char *path)
{
	FILE *f = fopen(path, "r");
	int pid = 0;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%d", &pid), 1);
	fclose(f);
	return (pid_t)pid;
}

START_TEST(exec_probe_results)
{
	static const char *const yes[] = {"true", NULL};
	static const char *const no[] = {"false", NULL};
	static const char *const missing[] = {"/nonexistent/probe", NULL};
	probe_env e;
	outcome o = {0};
	char *dir = bpci_test_mkdtemp(), script[512], pidfile[300];
	const char *hang[] = {"sh", "-c", script, NULL};
	pid_t pid;

	env_open(&e);
	exec_probe(&e, yes, 2000, &o);
	ck_assert_int_eq(o.r.ok, 1);
	ck_assert_int_eq(o.r.exit_status, 0);
	ck_assert_str_eq(o.r.reason, "exit 0");

	memset(&o, 0, sizeof(o));
	exec_probe(&e, no, 2000, &o);
	ck_assert_int_eq(o.r.ok, 0);
	ck_assert_int_eq(o.r.exit_status, 1);
	ck_assert_str_eq(o.r.reason, "exit status 1");

	memset(&o, 0, sizeof(o));
	exec_probe(&e, missing, 2000, &o);
	ck_assert_int_eq(o.r.ok, 0);
	ck_assert_str_eq(o.r.reason, "cannot run /nonexistent/probe: No such file or directory");

	memset(&o, 0, sizeof(o));
	snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
	snprintf(script, sizeof(script), "echo $$ > %s; exec sleep 5", pidfile);
	exec_probe(&e, hang, 200, &o);
	ck_assert_int_eq(o.r.ok, 0);
	ck_assert_str_eq(o.r.reason, "timeout after 200 ms");
	ck_assert_int_ge(o.r.latency_us, 190000);
	ck_assert_int_lt(o.r.latency_us, 2000000);
	pid = read_pid(pidfile);
	ck_assert_int_gt(pid, 1);
	/* The group was killed and its leader reaped before the result. */
	ck_assert_int_eq(kill(-pid, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
	env_close(&e);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(cancel_inside_callback_and_before)
{
	static const char *const yes[] = {"true", NULL};
	test_server ts;
	probe_env e;
	outcome o = {0}, never = {0};
	bpci__probe *p;
	char url[128], *dir = bpci_test_mkdtemp(), script[512], pidfile[300];
	const char *hang[] = {"sh", "-c", script, NULL};
	unsigned int port;
	int fd, i;
	pid_t pid;

	test_server_start(&ts, NULL);
	env_open(&e);
	/* Cancel from inside the callback, every kind. */
	o.cancel_in_cb = 1;
	snprintf(url, sizeof(url), "%s/status", ts.url);
	ck_assert_int_eq(bpci__probe_http(&p, e.ctx, url, 0, 2000, on_result, &o, NULL), 0);
	run_for(e.base, &o, 5000);
	ck_assert_int_eq(o.calls, 1);
	o.calls = 0;
	ck_assert_int_eq(bpci__probe_tcp(&p, e.ctx, "127.0.0.1", ts.port, 2000, on_result, &o,
					 NULL), 0);
	run_for(e.base, &o, 5000);
	ck_assert_int_eq(o.calls, 1);
	o.calls = 0;
	ck_assert_int_eq(bpci__probe_exec(&p, e.ctx, yes, 2000, on_result, &o, NULL), 0);
	run_for(e.base, &o, 5000);
	ck_assert_int_eq(o.calls, 1);

	/* Cancel before any result: no callback ever. */
	fd = silent_listener(&port, 8);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", port);
	ck_assert_int_eq(bpci__probe_http(&p, e.ctx, url, 0, 300, on_result, &never, NULL), 0);
	run_for(e.base, NULL, 50);
	bpci__probe_cancel(p);
	ck_assert_int_eq(bpci__probe_tcp(&p, e.ctx, "127.0.0.1", port, 300, on_result, &never,
					 NULL), 0);
	bpci__probe_cancel(p);
	snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
	snprintf(script, sizeof(script), "echo $$ > %s; exec sleep 5", pidfile);
	ck_assert_int_eq(bpci__probe_exec(&p, e.ctx, hang, 5000, on_result, &never, NULL), 0);
	for (i = 0; i < 200 && access(pidfile, F_OK) != 0; i++)
		usleep(10000);
	usleep(20000);
	pid = read_pid(pidfile);
	bpci__probe_cancel(p);
	run_for(e.base, NULL, 500); /* the killed child is reaped by the loop */
	ck_assert_int_eq(kill(-pid, 0), -1);
	ck_assert_int_eq(errno, ESRCH);
	ck_assert_int_eq(never.calls, 0);
	close(fd);

	/* Freeing the context stops what still runs; handles are released after. */
	ck_assert_int_eq(bpci__probe_exec(&p, e.ctx, hang, 5000, on_result, &never, NULL), 0);
	{
		bpci__probe *q;

		ck_assert_int_eq(bpci__probe_http(&q, e.ctx, url, 0, 5000, on_result, &never,
						  NULL), 0);
		bpci__probe_ctx_free(e.ctx);
		bpci__probe_cancel(q);
	}
	bpci__probe_cancel(p);
	bpci__probe_cancel(NULL);
	ck_assert_int_eq(never.calls, 0);
	event_base_free(e.base);
	test_server_stop(&ts);
	bpci_test_rmtree(dir);
	free(dir);
}
END_TEST

/* Allocation failures while starting probes are reported and clean. */
START_TEST(probe_allocation_failures_are_clean)
{
	static const char *const yes[] = {"true", NULL};
	struct event_base *base = event_base_new();
	unsigned int port = closed_port();
	long n;
	int done = 0;

	for (n = 0; n < 100 && !done; n++) {
		bpci__probe_ctx *ctx = NULL;
		bpci__probe *a = NULL, *b = NULL;
		outcome o = {0};
		int rc;

		bpci__alloc_fail_after(n);
		rc = bpci__probe_ctx_new(&ctx, base, NULL);
		if (rc == 0)
			rc = bpci__probe_tcp(&a, ctx, "127.0.0.1", port, 1000, on_result, &o, NULL);
		if (rc == 0)
			rc = bpci__probe_exec(&b, ctx, yes, 1000, on_result, &o, NULL);
		bpci__alloc_fail_after(-1);
		if (rc == 0) {
			done = 1;
			while (o.calls < 2)
				run_for(base, NULL, 100);
		} else {
			ck_assert_int_eq(rc, BPCI_ENOMEM);
		}
		bpci__probe_cancel(a);
		bpci__probe_cancel(b);
		bpci__probe_ctx_free(ctx);
	}
	ck_assert_int_eq(done, 1);
	event_base_free(base);
}
END_TEST

void add_probe_tests(Suite *s)
{
	TCase *tc = tcase_create("probe");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, http_probe_results);
	tcase_add_test(tc, http_probe_refused_and_timeout);
	tcase_add_test(tc, tcp_probe_results);
	tcase_add_test(tc, exec_probe_results);
	tcase_add_test(tc, cancel_inside_callback_and_before);
	tcase_add_test(tc, probe_allocation_failures_are_clean);
	suite_add_tcase(s, tc);
}
