/* bpci_service_run() in process: the service runs in a thread, the test
 * talks HTTP to it, reads its notify messages and stops it. */
#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/alloc.h"
#include "runtime/notify.h"
#include "service_test.h"

typedef struct runner {
	bpci_service *svc;
	bpci_diag *diag;
	pthread_t thread;
	atomic_int ready;
	int ready_calls;
	int rc;
} runner;

static char *dir, *spec_path;

static void setup(void)
{
	svc_clear_env();
	dir = bpci_test_mkdtemp();
	spec_path = svc_write_storage_spec(dir, "spec.json", "http-1");
}

static void teardown(void)
{
	svc_clear_env();
	bpci_test_rmtree(dir);
	free(dir);
	free(spec_path);
}

static void on_ready(bpci_service *svc, void *payload)
{
	runner *r = payload;

	(void)svc;
	r->ready_calls++;
	atomic_store(&r->ready, 1);
}

static void *run_thread(void *arg)
{
	runner *r = arg;

	r->rc = bpci_service_run(r->svc, r->diag);
	return NULL;
}

static void new_service(runner *r, const char *notify)
{
	bpci_service_options o = BPCI_SERVICE_OPTIONS_INIT;

	memset(r, 0, sizeof(*r));
	o.type = "storage";
	o.port = 0;
	o.config_path = spec_path;
	o.notify_socket = notify;
	ck_assert_int_eq(bpci_diag_new(&r->diag), 0);
	ck_assert_int_eq(bpci_service_new(&r->svc, &o, r->diag), 0);
	ck_assert_int_eq(bpci_service_on_ready(r->svc, on_ready, r), 0);
}

static void start(runner *r)
{
	long deadline = svc_now_ms() + 5000;

	ck_assert_int_eq(pthread_create(&r->thread, NULL, run_thread, r), 0);
	while (!atomic_load(&r->ready) && svc_now_ms() < deadline)
		usleep(2000);
	ck_assert_msg(atomic_load(&r->ready), "the service did not become ready");
	ck_assert_uint_gt(bpci_service_port(r->svc), 0);
}

static void stop(runner *r)
{
	bpci_service_request_stop(r->svc);
	ck_assert_int_eq(pthread_join(r->thread, NULL), 0);
	ck_assert_msg(r->rc == 0, "run: %s", bpci_diag_last_text(r->diag));
	bpci_service_free(r->svc);
	bpci_diag_free(r->diag);
}

/* POST /echo: answers 201 with the query's name, a header and the body. */
static int echo(bpci_service_response *res, const bpci_service_request *req, void *payload)
{
	const char *name = bpci_service_request_query(req, "name");
	const char *hdr = bpci_service_request_header(req, "x-test");
	size_t len;
	const char *body = bpci_service_request_body(req, &len);
	char out[256];

	(void)payload;
	snprintf(out, sizeof(out), "%s %s name=%s hdr=%s body=%s(%zu)",
		 bpci_service_request_method(req), bpci_service_request_path(req),
		 name ? name : "(none)", hdr ? hdr : "(none)", body, len);
	return bpci_service_respond(res, 201, "text/plain", out);
}

static int fails(bpci_service_response *res, const bpci_service_request *req, void *payload)
{
	(void)req;
	(void)payload;
	bpci_service_respond(res, 200, NULL, "{}"); /* replaced by the 500 */
	return BPCI_EIO;
}

static int silent(bpci_service_response *res, const bpci_service_request *req, void *payload)
{
	(void)res;
	(void)req;
	(*(int *)payload)++;
	return 0;
}

/* A handler that adds a route while the service runs. */
static int adds_route(bpci_service_response *res, const bpci_service_request *req,
		      void *payload)
{
	bpci_service *svc = payload;
	int rc = bpci_service_route(svc, "GET", "/late", echo, NULL);

	(void)req;
	return rc ? rc : bpci_service_respond(res, 200, "text/plain", "added");
}

/* GET /items/{id}/parts/{part}: the decoded parameters. */
static int item(bpci_service_response *res, const bpci_service_request *req, void *payload)
{
	char out[128];

	(void)payload;
	ck_assert_ptr_null(bpci_service_request_param(req, "nope"));
	snprintf(out, sizeof(out), "{\"id\":\"%s\",\"part\":\"%s\"}",
		 bpci_service_request_param(req, "id"), bpci_service_request_param(req, "part"));
	return bpci_service_respond(res, 200, NULL, out);
}

START_TEST(health_routes_errors_and_metrics)
{
	runner r;
	char *body, *allow;
	int silent_calls = 0;

	new_service(&r, "");
	ck_assert_int_eq(bpci_service_route(r.svc, "POST", "/echo", echo, NULL), 0);
	ck_assert_int_eq(bpci_service_route(r.svc, "GET", "/fails", fails, NULL), 0);
	ck_assert_int_eq(bpci_service_route(r.svc, "DELETE", "/silent", silent, &silent_calls),
			 0);
	ck_assert_int_eq(bpci_service_route(r.svc, "POST", "/add", adds_route, r.svc), 0);
	ck_assert_int_eq(bpci_service_route(r.svc, "GET", "/items/{id}/parts/{part}", item,
					    NULL), 0);
	start(&r);
	ck_assert_int_eq(r.ready_calls, 1);

	ck_assert_int_eq(svc_http(bpci_service_port(r.svc), NULL, "/health", NULL, NULL, &body,
				  NULL), 200);
	ck_assert_contains(body, "{\"status\":\"ok\",\"id\":\"http-1\",\"type\":\"storage\","
				 "\"uptime_seconds\":");
	free(body);

	ck_assert_int_eq(svc_http(bpci_service_port(r.svc), "POST", "/echo?name=a%20b&x=1",
				  "payload!", "X-Test: yes", &body, NULL), 201);
	ck_assert_str_eq(body, "POST /echo name=a b hdr=yes body=payload!(8)");
	free(body);

	ck_assert_int_eq(svc_http(bpci_service_port(r.svc), NULL, "/echo", NULL, NULL, &body,
				  &allow), 405);
	ck_assert_str_eq(allow, "POST");
	ck_assert_str_eq(body, "{\"error\":{\"code\":\"method_not_allowed\",\"message\":"
			       "\"GET is not allowed on this path; allowed: POST\"}}");
	free(body);
	free(allow);

	ck_assert_int_eq(svc_http(bpci_service_port(r.svc), NULL, "/nowhere", NULL, NULL,
				  &body, NULL), 404);
	ck_assert_str_eq(body, "{\"error\":{\"code\":\"not_found\",\"message\":"
			       "\"no such path: /nowhere\"}}");
	free(body);

	ck_assert_int_eq(svc_http(bpci_service_port(r.svc), NULL, "/fails", NULL, NULL, &body,
				  NULL), 500);
	ck_assert_contains(body, "\"code\":\"internal\"");
	ck_assert_contains(body, "GET /fails failed");
	free(body);

	ck_assert_int_eq(svc_http(bpci_service_port(r.svc), "DELETE", "/silent", NULL, NULL,
				  &body, NULL), 204);
	ck_assert_str_eq(body, "");
	ck_assert_int_eq(silent_calls, 1);
	free(body);

	ck_assert_int_eq(svc_http(bpci_service_port(r.svc), NULL, "/late", NULL, NULL, &body,
				  NULL), 404);
	free(body);
	ck_assert_int_eq(svc_http(bpci_service_port(r.svc), "POST", "/add", "", NULL, &body,
				  NULL), 200);
	free(body);
	ck_assert_int_eq(svc_http(bpci_service_port(r.svc), NULL, "/late?name=z", NULL, NULL,
				  &body, NULL), 201);
	ck_assert_str_eq(body, "GET /late name=z hdr=(none) body=(0)");
	free(body);

	ck_assert_int_eq(svc_http(bpci_service_port(r.svc), NULL, "/items/a%2Fb/parts/7",
				  NULL, NULL, &body, NULL), 200);
	ck_assert_str_eq(body, "{\"id\":\"a/b\",\"part\":\"7\"}");
	free(body);
	ck_assert_int_eq(svc_http(bpci_service_port(r.svc), NULL, "/items/a/parts", NULL, NULL,
				  &body, NULL), 404);
	free(body);

	ck_assert_int_eq(svc_http(bpci_service_port(r.svc), NULL, "/metrics", NULL, NULL,
				  &body, NULL), 200);
	svc_check_exposition(body);
	ck_assert_contains(body, "\nbpci_node_http_requests_total{path=\"/health\",code=\"200\"} 1\n");
	ck_assert_contains(body, "\nbpci_node_http_requests_total{path=\"/echo\",code=\"201\"} 1\n");
	ck_assert_contains(body, "\nbpci_node_http_requests_total{path=\"/fails\",code=\"500\"} 1\n");
	ck_assert_contains(body, "\nbpci_node_http_requests_total{path=\"/silent\",code=\"204\"} 1\n");
	ck_assert_contains(body, "\nbpci_node_http_requests_total{path=\"/late\",code=\"201\"} 1\n");
	ck_assert_contains(body, "\nbpci_node_http_requests_total{path=\"/items/{id}/parts/{part}\",code=\"200\"} 1\n");
	/* The server's own 404 and 405 answers are not the routes'. */
	ck_assert_ptr_null(strstr(body, "code=\"404\""));
	ck_assert_ptr_null(strstr(body, "code=\"405\""));
	ck_assert_contains(body, "\nprocess_cpu_seconds_total ");
	ck_assert_contains(body, "\nprocess_resident_memory_bytes ");
	ck_assert_contains(body, "\nprocess_open_fds ");
	ck_assert_contains(body, "\nbpci_node_uptime_seconds ");
	free(body);
	stop(&r);
}
END_TEST

/* Measured, not invented: the values move with what the process does. */
START_TEST(metrics_are_measured)
{
	runner r;
	char *body;
	double fds1, fds2, rss, cpu, started;
	const char *p;
	int extra[8], i;

	new_service(&r, "");
	start(&r);
	ck_assert_int_eq(svc_http(bpci_service_port(r.svc), NULL, "/metrics", NULL, NULL,
				  &body, NULL), 200);
	ck_assert_ptr_nonnull(p = strstr(body, "\nprocess_open_fds "));
	fds1 = strtod(p + 18, NULL);
	ck_assert_ptr_nonnull(p = strstr(body, "\nprocess_resident_memory_bytes "));
	rss = strtod(p + 31, NULL);
	ck_assert_ptr_nonnull(p = strstr(body, "\nprocess_cpu_seconds_total "));
	cpu = strtod(p + 28, NULL);
	ck_assert_ptr_nonnull(p = strstr(body, "\nprocess_start_time_seconds "));
	started = strtod(p + 28, NULL);
	ck_assert_ptr_nonnull(p = strstr(body, "\nbpci_node_uptime_seconds "));
	ck_assert_double_ge(strtod(p + 26, NULL), 0.0);
	ck_assert_double_lt(strtod(p + 26, NULL), 30.0);
	free(body);
	ck_assert_double_gt(rss, 1e6);
	ck_assert_double_lt(rss, 4e9);
	ck_assert_double_gt(cpu, 0.0); /* CPU seconds: this test has used some */
	ck_assert_double_lt(cpu, 600.0);
	ck_assert_double_le(started, (double)time(NULL) + 1);
	ck_assert_double_gt(started, (double)time(NULL) - 3600);
	for (i = 0; i < 8; i++)
		ck_assert_int_ge(extra[i] = dup(0), 0);
	ck_assert_int_eq(svc_http(bpci_service_port(r.svc), NULL, "/metrics", NULL, NULL,
				  &body, NULL), 200);
	ck_assert_ptr_nonnull(p = strstr(body, "\nprocess_open_fds "));
	fds2 = strtod(p + 18, NULL);
	free(body);
	for (i = 0; i < 8; i++)
		close(extra[i]);
	/* The test's own HTTP connections come and go; 8 more descriptors
	 * must show as at least 7 more. */
	ck_assert_double_ge(fds2 - fds1, 7);
	ck_assert_double_le(fds2 - fds1, 10);
	stop(&r);
}
END_TEST

typedef struct seen {
	int n;
	int ready, stopping;
	char status[128];
	pid_t pid;
} seen;

static void on_notify(pid_t pid, const bpci__notify_msg *msg, void *payload)
{
	seen *s = payload;

	s->n++;
	s->pid = pid;
	if (msg->present & BPCI__NOTIFY_READY)
		s->ready = 1;
	if (msg->present & BPCI__NOTIFY_STOPPING)
		s->stopping = 1;
	if (msg->present & BPCI__NOTIFY_STATUS)
		snprintf(s->status, sizeof(s->status), "%s", msg->status);
}

START_TEST(notify_ready_status_stopping)
{
	struct event_base *base = event_base_new();
	bpci__notify_server *srv;
	char *sock;
	seen s = {0};
	runner r;

	ck_assert(asprintf(&sock, "%s/notify.sock", dir) > 0);
	ck_assert_int_eq(bpci__notify_server_new(&srv, base, sock, on_notify, &s, NULL), 0);
	new_service(&r, sock);
	ck_assert_int_eq(bpci_service_status(r.svc, "loading\nstep %d", 2), 0);
	ck_assert_int_eq(svc_loop_until(base, &s.n, 2000), 1);
	ck_assert_str_eq(s.status, "loading step 2");
	ck_assert_int_eq(s.pid, getpid());
	start(&r);
	ck_assert_int_eq(svc_loop_until(base, &s.ready, 2000), 1);
	ck_assert_contains(s.status, "serving on 127.0.0.1:");
	stop(&r);
	ck_assert_int_eq(svc_loop_until(base, &s.stopping, 2000), 1);
	bpci__notify_server_free(srv);
	event_base_free(base);
	free(sock);
}
END_TEST

START_TEST(stop_before_run_and_run_twice)
{
	runner r;

	new_service(&r, "");
	bpci_service_request_stop(r.svc);
	ck_assert_int_eq(bpci_service_run(r.svc, r.diag), 0);
	ck_assert_int_eq(r.ready_calls, 1);
	ck_assert_int_eq(bpci_service_run(r.svc, r.diag), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(r.diag), "already called");
	bpci_service_free(r.svc);
	bpci_diag_free(r.diag);
}
END_TEST

static int occupy(uint16_t *port)
{
	struct sockaddr_in sa = {0};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

START_TEST(port_in_use_is_refused)
{
	bpci_service_options o = BPCI_SERVICE_OPTIONS_INIT;
	bpci_service *svc;
	bpci_diag *d;
	uint16_t port;
	char want[64];
	int fd = occupy(&port);

	o.type = "storage";
	o.port = port;
	o.config_path = spec_path;
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci_service_new(&svc, &o, d), 0);
	ck_assert_int_eq(bpci_service_run(svc, d), BPCI_EBUSY);
	snprintf(want, sizeof(want), "127.0.0.1:%u is already in use", port);
	ck_assert_contains(bpci_diag_last_text(d), want);
	bpci_service_free(svc);
	bpci_diag_free(d);
	close(fd);
}
END_TEST

TCase *svc_test_http(void)
{
	TCase *tc = tcase_create("http");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, health_routes_errors_and_metrics);
	tcase_add_test(tc, metrics_are_measured);
	tcase_add_test(tc, notify_ready_status_stopping);
	tcase_add_test(tc, stop_before_run_and_run_twice);
	tcase_add_test(tc, port_in_use_is_refused);
	return tc;
}
