/*
 * The remaining gaps of issue 3 over HTTP: the start-latency histogram and
 * restart counts in /metrics, reload failures answered, logged and
 * counted (API and SIGHUP), and a log follower that does not read.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../lib/api/api_internal.h"
#include "api_test.h"

static char *get_metrics(api_fx *fx)
{
	bpci_client *cl = fx_client(fx, NULL);
	char *text = NULL;

	ck_assert_int_eq(bpci_client_metrics(&text, cl, NULL), 0);
	bpci_client_free(cl);
	return text;
}

/* The value of the sample line starting with @series (name and labels). */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);
	const char *p = text;

	while ((p = strstr(p, series)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p += n;
	}
	ck_abort_msg("no sample %s in:\n%.3000s", series, text);
	return 0;
}

static void promtool_accepts(const char *text)
{
	FILE *p;

	if (access("/usr/bin/promtool", X_OK) != 0)
		return;
	p = popen("/usr/bin/promtool check metrics >/dev/null 2>&1", "w");
	ck_assert_ptr_nonnull(p);
	fputs(text, p);
	ck_assert_int_eq(pclose(p), 0);
}

START_TEST(metrics_start_histogram_and_restart_requests)
{
	static const char *les[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
				    "1", "2.5", "5", "10", "30", "60", "120", "+Inf"};
	api_fx fx;
	bpci_client *cl;
	bpci_node_spec *spec = fx_spec("sleeper", "exec sleep 30");
	char *a = NULL, *b = NULL, *text, series[96];
	double prev = 0, v;
	size_t i;

	fx_start(&fx, NULL, 0);
	cl = fx_client(&fx, NULL);
	ck_assert_int_eq(bpci_client_start_node(&a, cl, spec, NULL, NULL), 0);
	ck_assert_int_eq(bpci_client_start_node(&b, cl, spec, NULL, NULL), 0);
	fx_wait_state(cl, a, BPCI_NODE_STATE_RUNNING);
	fx_wait_state(cl, b, BPCI_NODE_STATE_RUNNING);
	ck_assert_int_eq(bpci_client_restart_node(cl, a, NULL), 0);
	fx_wait_state(cl, a, BPCI_NODE_STATE_RUNNING);

	text = get_metrics(&fx);
	api_assert_has(text, "# TYPE bpci_node_start_seconds histogram\n");
	for (i = 0; i < sizeof(les) / sizeof(les[0]); i++) {
		snprintf(series, sizeof(series), "bpci_node_start_seconds_bucket{le=\"%s\"}",
			 les[i]);
		v = sample(text, series);
		ck_assert_msg(v >= prev, "%s %g < %g: buckets are cumulative", series, v, prev);
		prev = v;
	}
	ck_assert(sample(text, "bpci_node_start_seconds_bucket{le=\"+Inf\"}") == 3);
	ck_assert(sample(text, "bpci_node_start_seconds_bucket{le=\"120\"}") == 3);
	ck_assert(sample(text, "bpci_node_start_seconds_count") == 3);
	v = sample(text, "bpci_node_start_seconds_sum");
	ck_assert_msg(v >= 0 && v < 30, "sum %g", v);
	ck_assert(sample(text, "bpci_coordinator_restart_requests_total") == 1);
	snprintf(series, sizeof(series),
		 "node_distribution_node_restarts_total{node_id=\"%s\",node_type=\"storage\"}", a);
	ck_assert(sample(text, series) == 1);
	snprintf(series, sizeof(series),
		 "node_distribution_node_restarts_total{node_id=\"%s\",node_type=\"storage\"}", b);
	ck_assert(sample(text, series) == 0);
	ck_assert(sample(text, "bpci_coordinator_reload_failures_total") == 0);
	ck_assert(sample(text, "bpci_coordinator_reloads_total") == 0);
	ck_assert_ptr_null(strstr(text, "bpci_coordinator_last_reload_failure_timestamp_seconds "));
	promtool_accepts(text);
	bpci_free(text);
	bpci_free(a);
	bpci_free(b);
	bpci_node_spec_free(spec);
	bpci_client_free(cl);
	fx_stop(&fx);
}
END_TEST

/* ---- reloads ------------------------------------------------------------- */

static const char good_config[] =
	"nodes:\n"
	"  - type: audit\n"
	"    name: first\n"
	"    audit_scope: full\n"
	"    command: [/bin/sh, -c, 'exec sleep 30']\n"
	"    health:\n"
	"      type: none\n";

/* Two problems in one file: both must be reported. */
static const char bad_config[] =
	"nodes:\n"
	"  - type: storage\n"
	"    capacity_gb: -1\n";

/* fd 2 goes to a file while capturing (the loop thread writes there). */
typedef struct capture {
	int saved;
	char path[256];
} capture;

static void capture_start(capture *c, const char *dir)
{
	int fd;

	snprintf(c->path, sizeof(c->path), "%s/stderr.txt", dir);
	fd = open(c->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stderr);
	c->saved = dup(2);
	ck_assert_int_ge(c->saved, 0);
	ck_assert_int_eq(dup2(fd, 2), 2);
	close(fd);
}

/* Restores fd 2 and returns what was written (free()). */
static char *capture_end(capture *c)
{
	char *text = calloc(1, 65536);
	int fd;
	ssize_t n;

	fflush(stderr);
	ck_assert_int_eq(dup2(c->saved, 2), 2);
	close(c->saved);
	fd = open(c->path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	n = read(fd, text, 65535);
	close(fd);
	ck_assert_int_ge(n, 0);
	return text;
}

static int post_reload(api_fx *fx, char *out, size_t cap)
{
	char req[512];

	snprintf(req, sizeof(req),
		 "POST /api/reload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
		 "Content-Length: 0\r\nConnection: close\r\n\r\n", fx->token);
	return raw_http(fx->port, req, out, cap);
}

static double now_epoch(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

START_TEST(api_reload_failure_answered_logged_counted)
{
	api_fx fx;
	capture cap;
	char *answer = malloc(65536), *path, *log, *text, *moved;
	double t0 = now_epoch(), t;

	fx_start(&fx, good_config, 0);
	path = bpci_test_write_file(fx.dir, "config.yaml", bad_config);
	capture_start(&cap, fx.dir);
	ck_assert_int_eq(post_reload(&fx, answer, 65536), 400);
	log = capture_end(&cap);
	/* every problem in the answer ... */
	api_assert_has(answer, "\"errors\":[");
	api_assert_has(answer, "capacity_gb");
	api_assert_has(answer, "got '-1'");
	api_assert_has(answer, "storage_type is required");
	/* ... and on stderr, one line each */
	api_assert_has(log, "API reload of ");
	api_assert_has(log, "config.yaml failed");
	api_assert_has(log, "the running nodes were left alone");
	api_assert_has(log, "capacity_gb");
	api_assert_has(log, "storage_type is required");
	free(log);

	/* an unreadable file is a 400 too, naming the path */
	moved = malloc(strlen(path) + 8);
	sprintf(moved, "%s.away", path);
	ck_assert_int_eq(rename(path, moved), 0);
	capture_start(&cap, fx.dir);
	ck_assert_int_eq(post_reload(&fx, answer, 65536), 400);
	free(capture_end(&cap));
	api_assert_has(answer, "config.yaml");

	text = get_metrics(&fx);
	ck_assert(sample(text, "bpci_coordinator_reload_failures_total") == 2);
	ck_assert(sample(text, "bpci_coordinator_reloads_total") == 0);
	t = sample(text, "bpci_coordinator_last_reload_failure_timestamp_seconds");
	ck_assert_msg(t >= t0 - 1 && t <= now_epoch() + 1, "failure time %f, test began %f", t,
		      t0);
	ck_assert_ptr_null(strstr(text, "bpci_coordinator_last_reload_success_timestamp_seconds "));
	promtool_accepts(text);
	bpci_free(text);

	free(path);
	path = bpci_test_write_file(fx.dir, "config.yaml", good_config);
	ck_assert_int_eq(post_reload(&fx, answer, 65536), 200);
	text = get_metrics(&fx);
	ck_assert(sample(text, "bpci_coordinator_reload_failures_total") == 2);
	ck_assert(sample(text, "bpci_coordinator_reloads_total") == 1);
	t = sample(text, "bpci_coordinator_last_reload_success_timestamp_seconds");
	ck_assert_msg(t >= t0 - 1 && t <= now_epoch() + 1, "success time %f", t);
	promtool_accepts(text);
	bpci_free(text);
	free(moved);
	free(path);
	free(answer);
	fx_stop(&fx);
}
END_TEST

/* SIGHUP has no one to answer: the daemon's stderr is where it shows. */
START_TEST(sighup_reload_failure_logged_and_counted)
{
	bpci_coordinator_options co = BPCI_COORDINATOR_OPTIONS_INIT;
	bpci_server_options so = BPCI_SERVER_OPTIONS_INIT;
	bpci_coordinator *c = NULL;
	bpci_server *srv = NULL;
	char *dir = bpci_test_mkdtemp(), *state = malloc(strlen(dir) + 8), *config, *log;
	capture cap;
	double t0 = now_s();

	sprintf(state, "%s/state", dir);
	config = bpci_test_write_file(dir, "config.yaml", good_config);
	co.state_dir = state;
	ck_assert_int_eq(bpci_coordinator_new(&c, &co, NULL), 0);
	so.listen = "127.0.0.1:0";
	so.config_path = config;
	so.reload_on_sighup = 1;
	ck_assert_int_eq(bpci_coordinator_serve(&srv, c, &so, NULL), 0);

	free(bpci_test_write_file(dir, "config.yaml", bad_config));
	capture_start(&cap, dir);
	ck_assert_int_eq(raise(SIGHUP), 0);
	while (srv->reload_failures == 0 && now_s() - t0 < 10)
		ck_assert_int_ge(bpci_server_step(srv, 100), 0);
	log = capture_end(&cap);
	ck_assert_uint_eq(srv->reload_failures, 1);
	ck_assert_uint_eq(srv->reloads_ok, 0);
	ck_assert_int_gt(srv->reload_failed_ms, 0);
	api_assert_has(log, "SIGHUP reload of ");
	api_assert_has(log, "capacity_gb");
	api_assert_has(log, "storage_type is required");
	free(log);

	free(bpci_test_write_file(dir, "config.yaml", good_config));
	capture_start(&cap, dir);
	ck_assert_int_eq(raise(SIGHUP), 0);
	while (srv->reloads_ok == 0 && now_s() - t0 < 10)
		ck_assert_int_ge(bpci_server_step(srv, 100), 0);
	log = capture_end(&cap);
	ck_assert_uint_eq(srv->reloads_ok, 1);
	api_assert_has(log, "SIGHUP: reloaded ");
	api_assert_has(log, "(1 nodes)");
	free(log);

	bpci_server_free(srv);
	ck_assert_int_eq(bpci_coordinator_shutdown(c, NULL), 0);
	bpci_coordinator_free(c);
	bpci_test_rmtree(dir);
	free(config);
	free(state);
	free(dir);
}
END_TEST

/* ---- a log follower that does not read ------------------------------------ */

#define LINES 1500000 /* seq 1 1500000: 10,888,896 bytes */
#define LOG_BYTES 10888896L

/* A client with a small receive buffer (set before connect, so that the
 * window is small), so that the kernel does not absorb the stream. */
static int small_window_connect(unsigned int port, int rcvbuf)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Decode the chunked body in @buf[0..len) from its start (after the
 * headers) and check it is the lines k, k+1, ..., LINES in order. */
static void check_lines(const char *buf, size_t len)
{
	const char *p = strstr(buf, "\r\n\r\n"), *end = buf + len;
	long expect = -1, got_last = 0;
	char line[32];
	size_t ll = 0;

	ck_assert_ptr_nonnull(p);
	p += 4;
	while (p < end) {
		char *after;
		unsigned long size = strtoul(p, &after, 16);

		ck_assert_msg(after[0] == '\r' && after[1] == '\n', "bad chunk header");
		p = after + 2;
		if (size == 0)
			break;
		/* the last chunk may be cut where reading stopped */
		for (const char *q = p; q < p + size && q < end; q++) {
			if (*q != '\n') {
				ck_assert_uint_lt(ll, sizeof(line) - 1);
				line[ll++] = *q;
				continue;
			}
			line[ll] = '\0';
			ll = 0;
			if (expect < 0)
				expect = atol(line);
			ck_assert_msg(atol(line) == expect, "line %s where %ld was due", line,
				      expect);
			got_last = expect++;
		}
		p += size + 2;
	}
	ck_assert_int_eq(got_last, LINES);
}

START_TEST(follow_backpressure_bounds_the_queue)
{
	api_fx fx;
	bpci_client *cl;
	bpci_node_spec *spec;
	char *trigger, script[512], req[256], *id = NULL, *logpath = NULL, *buf;
	size_t cap = 16u << 20, len = 0;
	int fd, rcv = 4096, status = 0;
	double t0;
	ssize_t n;

	fx_start_ex(&fx, NULL, 0, 30000, 64u << 20);
	trigger = malloc(strlen(fx.dir) + 8);
	sprintf(trigger, "%s/go", fx.dir);
	snprintf(script, sizeof(script),
		 "while [ ! -e %s ]; do sleep 0.02; done; seq 1 %d; exec sleep 60", trigger,
		 LINES);
	spec = fx_spec("chatty", script);
	cl = fx_client(&fx, NULL);
	ck_assert_int_eq(bpci_client_start_node(&id, cl, spec, NULL, NULL), 0);
	fx_wait_state(cl, id, BPCI_NODE_STATE_RUNNING);
	ck_assert_int_eq(bpci_coordinator_node_log_path(&logpath, fx.c, id, NULL), 0);

	fd = small_window_connect(fx.port, rcv);
	snprintf(req, sizeof(req), "GET /api/nodes/%s/logs?follow=1&tail=0 HTTP/1.1\r\n"
		 "Host: x\r\n\r\n", id);
	ck_assert_int_eq(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	buf = malloc(cap);
	n = recv(fd, buf, 256, 0); /* the answer's head: the stream is on */
	ck_assert_int_gt(n, 0);
	len = (size_t)n;
	buf[len] = '\0';
	ck_assert_int_eq(sscanf(buf, "HTTP/1.1 %d", &status), 1);
	ck_assert_int_eq(status, 200);

	/* the node writes 10.9 MB; we read nothing */
	close(open(trigger, O_CREAT | O_WRONLY, 0644));
	t0 = now_s();
	while (file_size(logpath) < LOG_BYTES && now_s() - t0 < 20)
		usleep(20000);
	ck_assert_int_eq(file_size(logpath), LOG_BYTES); /* the node was never held up */
	usleep(300000);
	{
		/* the loop is not stalled by the stuck stream */
		bpci_node_status *st = NULL;

		ck_assert_int_eq(bpci_client_get_node(&st, cl, id, NULL), 0);
		ck_assert_int_eq(st->state, BPCI_NODE_STATE_RUNNING);
		bpci_node_status_free(st);
	}
	fx_pause(&fx);
	/* queued for this client: at most the cap plus one read (64 KiB), and
	 * it did fill up (the test stressed what it claims) */
	ck_assert_uint_le(fx.srv->follow_max_pending, (1u << 20) + 65536 + 64);
	ck_assert_uint_ge(fx.srv->follow_max_pending, 1u << 20);
	fx_resume(&fx);

	/* now read: the stream resumes from where it paused, to the last line */
	t0 = now_s();
	while (len + 1 < cap && now_s() - t0 < 30) {
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf + (len > 64 ? len - 64 : 0), "\n1500000\n"))
			break;
	}
	check_lines(buf, len);
	close(fd);
	free(buf);
	free(trigger);
	free(logpath);
	bpci_free(id);
	bpci_node_spec_free(spec);
	bpci_client_free(cl);
	fx_stop(&fx);
}
END_TEST

void add_gap_tests(Suite *s)
{
	TCase *tc = tcase_create("gaps");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, metrics_start_histogram_and_restart_requests);
	tcase_add_test(tc, api_reload_failure_answered_logged_counted);
	tcase_add_test(tc, sighup_reload_failure_logged_and_counted);
	tcase_add_test(tc, follow_backpressure_bounds_the_queue);
	suite_add_tcase(s, tc);
}
