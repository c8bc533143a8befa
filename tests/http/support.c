/* The test server (routes exercised by the server, client and probe tests)
 * and raw socket helpers. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_test.h"

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* GET /api/nodes/{id}?tail=N -> {"id":..., "tail":...} */
static void h_node(bpci__http_req *req, void *p)
{
	const char *tail = bpci__http_req_query(req, "tail");

	(void)p;
	bpci__http_reply_json(req, 200, json_pack("{s:s, s:s*}", "id",
						  bpci__http_req_param(req, "id"), "tail", tail));
}

/* POST /api/nodes -> 201 {"len": body length, "body": body} */
static void h_create(bpci__http_req *req, void *p)
{
	size_t len;
	const char *body = bpci__http_req_body(req, &len);

	(void)p;
	bpci__http_reply_header(req, "Location", "/api/nodes/new");
	bpci__http_reply_json(req, 201, json_pack("{s:I, s:s}", "len", (json_int_t)len,
						  "body", body));
}

static void h_delete(bpci__http_req *req, void *p)
{
	(void)p;
	bpci__http_reply_json(req, 200, json_pack("{s:s}", "deleted",
						  bpci__http_req_param(req, "id")));
}

static void h_conflict(bpci__http_req *req, void *p)
{
	(void)p;
	bpci__http_reply_error(req, 409, "conflict", "node exists", "spec.id");
}

static void h_status(bpci__http_req *req, void *p)
{
	const char *code = bpci__http_req_query(req, "code");

	(void)p;
	bpci__http_reply_text(req, code ? atoi(code) : 200, "text/plain", "status\n");
}

static void h_plain(bpci__http_req *req, void *p)
{
	(void)p;
	bpci__http_reply_text(req, 502, "text/plain", "upstream broke\n");
}

/* GET /api/nodes/{id}/logs?count=N&interval=MS: a line every MS ms (default
 * 20), N lines (0: forever). */
typedef struct streamer {
	test_server *ts;
	bpci__http_req *req;
	struct event *tick;
	int n, count;
	int interval_ms;
} streamer;

static void streamer_end(streamer *st)
{
	event_free(st->tick);
	bpci__http_stream_end(st->req);
	free(st);
}

static void on_gone(bpci__http_req *req, void *p)
{
	streamer *st = p;

	(void)req;
	atomic_fetch_add(&st->ts->gone, 1);
	streamer_end(st);
}

static void on_tick(evutil_socket_t fd, short what, void *p)
{
	streamer *st = p;
	char line[32];
	int len = snprintf(line, sizeof(line), "line %d\n", st->n++);
	struct timeval tv = {st->interval_ms / 1000, (st->interval_ms % 1000) * 1000};

	(void)fd;
	(void)what;
	if (bpci__http_stream_chunk(st->req, line, (size_t)len) == 0)
		atomic_fetch_add(&st->ts->chunks_sent, 1);
	if (st->count && st->n >= st->count) {
		streamer_end(st);
		return;
	}
	evtimer_add(st->tick, &tv);
}

static void h_logs(bpci__http_req *req, void *p)
{
	test_server *ts = p;
	streamer *st = calloc(1, sizeof(*st));
	const char *count = bpci__http_req_query(req, "count");
	struct timeval tv = {0, 0};

	st->ts = ts;
	st->req = req;
	st->count = count ? atoi(count) : 0;
	st->interval_ms = bpci__http_req_query(req, "interval")
				  ? atoi(bpci__http_req_query(req, "interval")) : 20;
	st->tick = evtimer_new(ts->base, on_tick, st);
	if (bpci__http_stream_start(req, 200, "text/plain", on_gone, st) < 0) {
		streamer_end(st);
		return;
	}
	evtimer_add(st->tick, &tv);
}

/* GET /hold: never answered (the server's teardown releases it). */
static void h_hold(bpci__http_req *req, void *p)
{
	(void)req;
	(void)p;
}

static void on_stop(evutil_socket_t fd, short what, void *p)
{
	test_server *ts = p;

	(void)fd;
	(void)what;
	event_base_loopbreak(ts->base);
}

static void *loop_main(void *p)
{
	test_server *ts = p;

	event_base_loop(ts->base, EVLOOP_NO_EXIT_ON_EMPTY);
	return NULL;
}

void test_server_start(test_server *ts, const bpci__http_server_opts *opts)
{
	bpci__http_server_opts o = BPCI__HTTP_SERVER_OPTS_INIT;
	bpci_diag *d = NULL;

	memset(ts, 0, sizeof(*ts));
	if (opts)
		o = *opts;
	if (!o.listen)
		o.listen = "127.0.0.1:0";
	if (!o.token)
		o.token = "s3cret";
	ck_assert_ptr_nonnull(ts->base = event_base_new());
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_msg(bpci__http_server_new(&ts->srv, ts->base, &o, d) == 0, "server: %s",
		      bpci_diag_last_text(d));
	bpci_diag_free(d);
	ck_assert_int_eq(bpci__http_route(ts->srv, "GET", "/api/nodes/{id}", h_node, ts), 0);
	ck_assert_int_eq(bpci__http_route(ts->srv, "DELETE", "/api/nodes/{id}", h_delete, ts), 0);
	ck_assert_int_eq(bpci__http_route(ts->srv, "POST", "/api/nodes", h_create, ts), 0);
	ck_assert_int_eq(bpci__http_route(ts->srv, "GET", "/api/nodes/{id}/logs", h_logs, ts), 0);
	ck_assert_int_eq(bpci__http_route(ts->srv, "GET", "/conflict", h_conflict, ts), 0);
	ck_assert_int_eq(bpci__http_route(ts->srv, "GET", "/status", h_status, ts), 0);
	ck_assert_int_eq(bpci__http_route(ts->srv, "GET", "/plain", h_plain, ts), 0);
	ck_assert_int_eq(bpci__http_route(ts->srv, "GET", "/hold", h_hold, ts), 0);
	ts->port = bpci__http_server_port(ts->srv);
	snprintf(ts->url, sizeof(ts->url), "%s", bpci__http_server_url(ts->srv));
	ck_assert_int_eq(pipe(ts->stop_pipe), 0);
	ts->stop_ev = event_new(ts->base, ts->stop_pipe[0], EV_READ, on_stop, ts);
	event_add(ts->stop_ev, NULL);
	ck_assert_int_eq(pthread_create(&ts->thread, NULL, loop_main, ts), 0);
}

void test_server_stop(test_server *ts)
{
	ck_assert_int_eq(write(ts->stop_pipe[1], "x", 1), 1);
	pthread_join(ts->thread, NULL);
	event_free(ts->stop_ev);
	close(ts->stop_pipe[0]);
	close(ts->stop_pipe[1]);
	bpci__http_server_free(ts->srv);
	event_base_free(ts->base);
}

int raw_connect(unsigned int port)
{
	struct sockaddr_in sin;
	struct timeval tv = {5, 0};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

size_t raw_exchange(unsigned int port, const char *req, size_t len, char *out, size_t cap)
{
	int fd = raw_connect(port);
	size_t got = 0;
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	/* The server may close early (e.g. on huge headers): ignore EPIPE. */
	(void)!send(fd, req, len, MSG_NOSIGNAL);
	while (got + 1 < cap && (n = recv(fd, out + got, cap - 1 - got, 0)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fd);
	return got;
}
