/* The HTTP server against real sockets on 127.0.0.1. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bpci.h"
#include "http_test.h"
#include "common/alloc.h"
#include "runtime/http_client.h"

#define TOKEN_HDR "Authorization: Bearer s3cret\r\n"

static int get(const test_server *ts, const char *method, const char *path, const char *body,
	       const char *token, bpci__http_response *r, bpci_diag *d)
{
	bpci__http_client_opts o = BPCI__HTTP_CLIENT_OPTS_INIT;
	char url[256];

	o.token = token;
	snprintf(url, sizeof(url), "%s%s", ts->url, path);
	return bpci__http_request(&o, method, url, body, body ? strlen(body) : 0, r, d);
}

START_TEST(url_has_real_port)
{
	test_server ts;
	char want[64];

	test_server_start(&ts, NULL);
	ck_assert_uint_gt(ts.port, 0);
	snprintf(want, sizeof(want), "http://127.0.0.1:%u", ts.port);
	ck_assert_str_eq(ts.url, want);
	test_server_stop(&ts);
}
END_TEST

START_TEST(routes_params_and_query)
{
	test_server ts;
	bpci__http_response r;

	test_server_start(&ts, NULL);
	ck_assert_int_eq(get(&ts, "GET", "/api/nodes/n%2D1?tail=5&x=y", NULL, NULL, &r, NULL), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"id\":\"n-1\",\"tail\":\"5\"}");
	ck_assert_str_eq(r.content_type, "application/json");
	bpci__http_response_clear(&r);
	ck_assert_int_eq(get(&ts, "GET", "/api/nodes/abc", NULL, NULL, &r, NULL), 0);
	ck_assert_str_eq(r.body, "{\"id\":\"abc\"}");
	bpci__http_response_clear(&r);
	ck_assert_int_eq(get(&ts, "POST", "/api/nodes", "{\"a\":1}", "s3cret", &r, NULL), 0);
	ck_assert_int_eq(r.status, 201);
	ck_assert_str_eq(r.body, "{\"len\":7,\"body\":\"{\\\"a\\\":1}\"}");
	bpci__http_response_clear(&r);
	ck_assert_int_eq(get(&ts, "DELETE", "/api/nodes/x9", NULL, "s3cret", &r, NULL), 0);
	ck_assert_str_eq(r.body, "{\"deleted\":\"x9\"}");
	bpci__http_response_clear(&r);
	test_server_stop(&ts);
}
END_TEST

START_TEST(not_found_and_method_not_allowed)
{
	test_server ts;
	bpci__http_response r;
	bpci_diag *d;
	char buf[2048];
	static const char put[] = "PUT /api/nodes/a HTTP/1.1\r\nHost: x\r\n" TOKEN_HDR
				  "Content-Length: 0\r\nConnection: close\r\n\r\n";

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	test_server_start(&ts, NULL);
	ck_assert_int_eq(get(&ts, "GET", "/nope", NULL, NULL, &r, d), BPCI_ENOTFOUND);
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(r.body,
			 "{\"error\":{\"code\":\"not_found\",\"message\":\"no such path: /nope\"}}");
	ck_assert_str_eq(bpci_diag_last_text(d), "no such path: /nope (HTTP 404 not_found)");
	bpci__http_response_clear(&r);
	/* A trailing slash or an empty parameter is another path. */
	ck_assert_int_eq(get(&ts, "GET", "/api/nodes/", NULL, NULL, &r, NULL), BPCI_ENOTFOUND);
	bpci__http_response_clear(&r);
	ck_assert_int_eq(get(&ts, "GET", "/api/nodes//logs", NULL, NULL, &r, NULL),
			 BPCI_ENOTFOUND);
	bpci__http_response_clear(&r);

	raw_exchange(ts.port, put, sizeof(put) - 1, buf, sizeof(buf));
	ck_assert_contains(buf, "HTTP/1.1 405");
	ck_assert_contains(buf, "Allow: GET, HEAD, DELETE\r\n");
	ck_assert_contains(buf, "{\"error\":{\"code\":\"method_not_allowed\","
				"\"message\":\"PUT is not allowed on this path; allowed: "
				"GET, HEAD, DELETE\"}}");
	ck_assert_int_eq(get(&ts, "POST", "/conflict", "{}", "s3cret", &r, d), BPCI_EINVAL);
	ck_assert_int_eq(r.status, 405);
	bpci__http_response_clear(&r);
	test_server_stop(&ts);
	bpci_diag_free(d);
}
END_TEST

START_TEST(error_shape_is_exact)
{
	test_server ts;
	bpci__http_response r;
	bpci_diag *d;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	test_server_start(&ts, NULL);
	ck_assert_int_eq(get(&ts, "GET", "/conflict", NULL, NULL, &r, d), BPCI_EEXISTS);
	ck_assert_int_eq(r.status, 409);
	ck_assert_str_eq(r.body, "{\"error\":{\"code\":\"conflict\",\"message\":\"node exists\","
				 "\"field\":\"spec.id\"}}");
	ck_assert_str_eq(bpci_diag_get(d, 0)->field, "spec.id");
	ck_assert_str_eq(bpci_diag_get(d, 0)->message, "node exists (HTTP 409 conflict)");
	bpci__http_response_clear(&r);
	/* A non-JSON error body still says what happened. */
	ck_assert_int_eq(get(&ts, "GET", "/plain", NULL, NULL, &r, d), BPCI_ERROR);
	ck_assert_contains(bpci_diag_last_text(d), "answered HTTP 502: upstream broke");
	bpci__http_response_clear(&r);
	test_server_stop(&ts);
	bpci_diag_free(d);
}
END_TEST

START_TEST(bearer_token_guards_mutations)
{
	test_server ts;
	bpci__http_response r;
	char buf[2048];
	static const char bare[] = "POST /api/nodes HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
				   "Connection: close\r\n\r\n{}";
	static const char lower[] = "DELETE /api/nodes/q HTTP/1.1\r\nHost: x\r\n"
				    "authorization: bearer s3cret\r\nConnection: close\r\n\r\n";

	test_server_start(&ts, NULL);
	raw_exchange(ts.port, bare, sizeof(bare) - 1, buf, sizeof(buf));
	ck_assert_contains(buf, "HTTP/1.1 401");
	ck_assert_contains(buf, "WWW-Authenticate: Bearer realm=\"bpci\"\r\n");
	ck_assert_contains(buf, "{\"error\":{\"code\":\"unauthorized\",");
	ck_assert_int_eq(get(&ts, "POST", "/api/nodes", "{}", "s3cres", &r, NULL), BPCI_ERROR);
	ck_assert_int_eq(r.status, 401);
	bpci__http_response_clear(&r);
	ck_assert_int_eq(get(&ts, "POST", "/api/nodes", "{}", "s3cret-longer", &r, NULL),
			 BPCI_ERROR);
	ck_assert_int_eq(r.status, 401);
	bpci__http_response_clear(&r);
	ck_assert_int_eq(get(&ts, "POST", "/api/nodes", "{}", "s3cre", &r, NULL), BPCI_ERROR);
	ck_assert_int_eq(r.status, 401);
	bpci__http_response_clear(&r);
	ck_assert_int_eq(get(&ts, "DELETE", "/api/nodes/q", NULL, NULL, &r, NULL), BPCI_ERROR);
	ck_assert_int_eq(r.status, 401);
	bpci__http_response_clear(&r);
	ck_assert_int_eq(get(&ts, "POST", "/api/nodes", "{}", "s3cret", &r, NULL), 0);
	ck_assert_int_eq(r.status, 201);
	bpci__http_response_clear(&r);
	raw_exchange(ts.port, lower, sizeof(lower) - 1, buf, sizeof(buf));
	ck_assert_contains(buf, "HTTP/1.1 200");
	/* Reads need no token. */
	ck_assert_int_eq(get(&ts, "GET", "/api/nodes/q", NULL, NULL, &r, NULL), 0);
	bpci__http_response_clear(&r);
	test_server_stop(&ts);
}
END_TEST

START_TEST(body_over_limit_is_413)
{
	test_server ts;
	bpci__http_server_opts o = BPCI__HTTP_SERVER_OPTS_INIT;
	bpci__http_response r;
	char *big = malloc(4098);

	memset(big, 'a', 4096);
	big[4096] = '\0';
	o.max_body = 4096;
	test_server_start(&ts, &o);
	ck_assert_int_eq(get(&ts, "POST", "/api/nodes", big, "s3cret", &r, NULL), 0);
	ck_assert_int_eq(r.status, 201);
	ck_assert_contains(r.body, "{\"len\":4096,");
	bpci__http_response_clear(&r);
	memset(big, 'a', 4097);
	big[4097] = '\0';
	ck_assert_int_eq(get(&ts, "POST", "/api/nodes", big, "s3cret", &r, NULL), BPCI_ELIMIT);
	ck_assert_int_eq(r.status, 413);
	bpci__http_response_clear(&r);
	/* Still serving. */
	ck_assert_int_eq(get(&ts, "GET", "/api/nodes/z", NULL, NULL, &r, NULL), 0);
	bpci__http_response_clear(&r);
	test_server_stop(&ts);
	free(big);
}
END_TEST

START_TEST(slow_client_times_out)
{
	test_server ts;
	bpci__http_server_opts o = BPCI__HTTP_SERVER_OPTS_INIT;
	bpci__http_response r;
	char c;
	double t0, dt;
	int fd;
	ssize_t n;

	o.timeout_ms = 1000;
	test_server_start(&ts, &o);
	fd = raw_connect(ts.port);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(send(fd, "GET /api/nodes/a HTTP/1.1\r\nHo", 29, 0), 29);
	t0 = now_s();
	/* Others are served meanwhile. */
	ck_assert_int_eq(get(&ts, "GET", "/api/nodes/b", NULL, NULL, &r, NULL), 0);
	ck_assert_msg(now_s() - t0 < 0.5, "served after %.3f s", now_s() - t0);
	bpci__http_response_clear(&r);
	n = recv(fd, &c, 1, 0);
	dt = now_s() - t0;
	ck_assert_int_le(n, 0);
	ck_assert_msg(dt > 0.7 && dt < 3.0, "closed after %.3f s", dt);
	close(fd);
	ck_assert_int_eq(get(&ts, "GET", "/api/nodes/a", NULL, NULL, &r, NULL), 0);
	bpci__http_response_clear(&r);
	test_server_stop(&ts);
}
END_TEST

#define NCLIENTS 100

START_TEST(hundred_concurrent_clients)
{
	test_server ts;
	int fds[NCLIENTS], i, answered = 0;
	char req[128], buf[1024], want[64];

	test_server_start(&ts, NULL);
	/* All connected at once before any request is sent. */
	for (i = 0; i < NCLIENTS; i++) {
		fds[i] = raw_connect(ts.port);
		ck_assert_int_ge(fds[i], 0);
	}
	for (i = 0; i < NCLIENTS; i++) {
		int len = snprintf(req, sizeof(req), "GET /api/nodes/c%d HTTP/1.1\r\nHost: x\r\n"
				   "Connection: close\r\n\r\n", i);

		ck_assert_int_eq(send(fds[i], req, (size_t)len, 0), len);
	}
	for (i = NCLIENTS - 1; i >= 0; i--) {
		size_t got = 0;
		ssize_t n;

		while (got + 1 < sizeof(buf) && (n = recv(fds[i], buf + got, sizeof(buf) - 1 - got, 0)) > 0)
			got += (size_t)n;
		buf[got] = '\0';
		close(fds[i]);
		snprintf(want, sizeof(want), "{\"id\":\"c%d\"}", i);
		if (strstr(buf, "HTTP/1.1 200") && strstr(buf, want))
			answered++;
	}
	ck_assert_int_eq(answered, NCLIENTS);
	test_server_stop(&ts);
}
END_TEST

START_TEST(malformed_requests_do_not_hurt)
{
	static const char *const bad[] = {
		"GARBAGE\r\n\r\n",
		"GET\r\n\r\n",
		"GET / HTTP/9.9\r\n\r\n",
		"GET /api/nodes/a HTTP/1.1\r\nno colon here\r\n\r\n",
		"\x01\x02\x03\xff\xfe\r\n\r\n",
		"POST /api/nodes HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
		"POST /api/nodes HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"GET /api/nodes/%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"BREW /coffee HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	};
	test_server ts;
	bpci__http_server_opts o = BPCI__HTTP_SERVER_OPTS_INIT;
	bpci__http_response r;
	char buf[4096];
	size_t i, hlen = 100000;
	char *huge = malloc(hlen + 64);

	o.timeout_ms = 1000;
	test_server_start(&ts, &o);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = raw_exchange(ts.port, bad[i], strlen(bad[i]), buf, sizeof(buf));

		/* Answered with a 4xx/5xx status, or closed without an answer. */
		ck_assert_msg(n == 0 || strncmp(buf, "HTTP/1.1 4", 10) == 0 ||
			      strncmp(buf, "HTTP/1.1 5", 10) == 0,
			      "request %zu got: %s", i, buf);
	}
	/* Headers far over the limit. */
	strcpy(huge, "GET /api/nodes/a HTTP/1.1\r\nX-Big: ");
	memset(huge + strlen(huge), 'h', hlen);
	strcpy(huge + 35 + hlen, "\r\n\r\n");
	raw_exchange(ts.port, huge, strlen(huge), buf, sizeof(buf));
	ck_assert_msg(buf[0] == '\0' || strncmp(buf, "HTTP/1.1 4", 10) == 0, "got: %s", buf);
	free(huge);
	ck_assert_int_eq(get(&ts, "GET", "/api/nodes/ok", NULL, NULL, &r, NULL), 0);
	ck_assert_str_eq(r.body, "{\"id\":\"ok\"}");
	bpci__http_response_clear(&r);
	test_server_stop(&ts);
}
END_TEST

static int collect(const char *data, size_t len, void *p)
{
	strncat(p, data, len);
	return 0;
}

static int stop_after_two(const char *data, size_t len, void *p)
{
	int *n = p;

	(void)data;
	(void)len;
	return ++*n >= 2 ? 42 : 0;
}

START_TEST(stream_chunks_arrive)
{
	test_server ts;
	bpci__http_response r;
	bpci__http_client_opts o = BPCI__HTTP_CLIENT_OPTS_INIT;
	char url[128], got[256] = "";
	int n = 0;

	test_server_start(&ts, NULL);
	snprintf(url, sizeof(url), "%s/api/nodes/a/logs?count=5", ts.url);
	ck_assert_int_eq(bpci__http_stream(&o, url, &r, collect, got, NULL), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(got, "line 0\nline 1\nline 2\nline 3\nline 4\n");
	bpci__http_response_clear(&r);
	/* The consumer stops an endless stream; the server notices. */
	snprintf(url, sizeof(url), "%s/api/nodes/a/logs?follow=1", ts.url);
	ck_assert_int_eq(bpci__http_stream(&o, url, &r, stop_after_two, &n, NULL), 42);
	ck_assert_int_eq(n, 2);
	bpci__http_response_clear(&r);
	for (n = 0; n < 200 && atomic_load(&ts.gone) < 1; n++)
		usleep(10000);
	ck_assert_int_eq(atomic_load(&ts.gone), 1);
	test_server_stop(&ts);
}
END_TEST

START_TEST(stream_notices_client_gone)
{
	test_server ts;
	static const char req[] = "GET /api/nodes/a/logs?follow=1 HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[512];
	int fd, i, sent;
	ssize_t n;

	test_server_start(&ts, NULL);
	fd = raw_connect(ts.port);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(send(fd, req, sizeof(req) - 1, 0), (ssize_t)sizeof(req) - 1);
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_contains(buf, "HTTP/1.1 200");
	ck_assert_contains(buf, "Transfer-Encoding: chunked");
	close(fd);
	for (i = 0; i < 200 && atomic_load(&ts.gone) < 1; i++)
		usleep(10000);
	ck_assert_int_eq(atomic_load(&ts.gone), 1);
	/* And the producer stopped: no more chunks after the gone callback. */
	sent = atomic_load(&ts.chunks_sent);
	usleep(100000);
	ck_assert_int_eq(atomic_load(&ts.chunks_sent), sent);
	test_server_stop(&ts);
}
END_TEST

/* An idle follow (nothing written) still notices the client leaving. */
START_TEST(idle_stream_notices_client_gone)
{
	test_server ts;
	static const char req[] = "GET /api/nodes/a/logs?interval=20000 HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[512];
	int fd, i;
	double t0;

	test_server_start(&ts, NULL);
	fd = raw_connect(ts.port);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(send(fd, req, sizeof(req) - 1, 0), (ssize_t)sizeof(req) - 1);
	ck_assert_int_gt(recv(fd, buf, sizeof(buf) - 1, 0), 0);
	usleep(50000);
	close(fd);
	t0 = now_s();
	for (i = 0; i < 300 && atomic_load(&ts.gone) < 1; i++)
		usleep(10000);
	ck_assert_int_eq(atomic_load(&ts.gone), 1);
	ck_assert_msg(now_s() - t0 < 1.0, "noticed after %.3f s", now_s() - t0);
	ck_assert_int_eq(atomic_load(&ts.chunks_sent), 1);
	test_server_stop(&ts);
}
END_TEST

/* The read timeout that drops slow clients must not cut a quiet stream. */
START_TEST(stream_outlives_the_timeout)
{
	test_server ts;
	bpci__http_server_opts so = BPCI__HTTP_SERVER_OPTS_INIT;
	bpci__http_client_opts o = BPCI__HTTP_CLIENT_OPTS_INIT;
	bpci__http_response r;
	char url[256], got[256] = "";

	so.timeout_ms = 500;
	test_server_start(&ts, &so);
	snprintf(url, sizeof(url), "%s/api/nodes/a/logs?count=3&interval=700", ts.url);
	ck_assert_int_eq(bpci__http_stream(&o, url, &r, collect, got, NULL), 0);
	ck_assert_str_eq(got, "line 0\nline 1\nline 2\n");
	bpci__http_response_clear(&r);
	test_server_stop(&ts);
}
END_TEST

/* A request pipelined behind a stream is answered after the stream ends. */
START_TEST(pipelined_after_stream)
{
	test_server ts;
	static const char reqs[] = "GET /api/nodes/a/logs?count=2 HTTP/1.1\r\nHost: x\r\n\r\n"
				   "GET /api/nodes/p HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	char buf[4096];

	test_server_start(&ts, NULL);
	raw_exchange(ts.port, reqs, sizeof(reqs) - 1, buf, sizeof(buf));
	ck_assert_contains(buf, "7\r\nline 0\n\r\n7\r\nline 1\n\r\n0\r\n\r\n");
	ck_assert_contains(buf, "{\"id\":\"p\"}");
	ck_assert_int_eq(atomic_load(&ts.gone), 0);
	test_server_stop(&ts);
}
END_TEST

START_TEST(open_stream_released_at_teardown)
{
	test_server ts;
	static const char req[] = "GET /api/nodes/a/logs HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[256];
	int fd;

	test_server_start(&ts, NULL);
	fd = raw_connect(ts.port);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(send(fd, req, sizeof(req) - 1, 0), (ssize_t)sizeof(req) - 1);
	ck_assert_int_gt(recv(fd, buf, sizeof(buf), 0), 0);
	test_server_stop(&ts); /* the producer's gone callback ends the stream */
	ck_assert_int_eq(atomic_load(&ts.gone), 1);
	close(fd);
}
END_TEST

/* Unanswered requests, with their client gone or still there, are released
 * by the server's teardown (the ASan run checks for leaks). */
START_TEST(unanswered_requests_released_at_teardown)
{
	test_server ts;
	static const char req[] = "GET /hold HTTP/1.1\r\nHost: x\r\n\r\n";
	bpci__http_server_opts o = BPCI__HTTP_SERVER_OPTS_INIT;
	int gone, stays, late;

	/* One request is held past the connection timeout. */
	o.timeout_ms = 300;
	test_server_start(&ts, &o);
	late = raw_connect(ts.port);
	ck_assert_int_ge(late, 0);
	ck_assert_int_eq(send(late, req, sizeof(req) - 1, 0), (ssize_t)sizeof(req) - 1);
	usleep(600000);
	gone = raw_connect(ts.port);
	stays = raw_connect(ts.port);
	ck_assert_int_ge(gone, 0);
	ck_assert_int_ge(stays, 0);
	ck_assert_int_eq(send(gone, req, sizeof(req) - 1, 0), (ssize_t)sizeof(req) - 1);
	ck_assert_int_eq(send(stays, req, sizeof(req) - 1, 0), (ssize_t)sizeof(req) - 1);
	usleep(100000);
	close(gone);
	usleep(100000);
	test_server_stop(&ts);
	close(stays);
	close(late);
}
END_TEST

START_TEST(listen_addresses)
{
	bpci__http_server_opts o = BPCI__HTTP_SERVER_OPTS_INIT;
	struct event_base *base = event_base_new();
	bpci__http_server *a = NULL, *b = NULL;
	bpci_diag *d;
	char addr[64];
	static const char *const bad[] = {"127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
					  "::1:80", "[::1]80", "example.com:80", ":80",
					  "127.0.0.1:-1", "127.0.0.1:8x"};
	size_t i;
	int rc;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.listen = bad[i];
		ck_assert_int_eq(bpci__http_server_new(&a, base, &o, d), BPCI_EINVAL);
		ck_assert_ptr_null(a);
		ck_assert_str_eq(bpci_diag_get(d, i)->field, "listen");
		ck_assert_contains(bpci_diag_get(d, i)->message, bad[i]);
	}
	bpci_diag_clear(d);
	o.listen = "localhost:0";
	ck_assert_int_eq(bpci__http_server_new(&a, base, &o, d), 0);
	ck_assert_int_eq(strncmp(bpci__http_server_url(a), "http://127.0.0.1:", 17), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", bpci__http_server_port(a));
	o.listen = addr;
	ck_assert_int_eq(bpci__http_server_new(&b, base, &o, d), BPCI_EBUSY);
	ck_assert_contains(bpci_diag_last_text(d), addr);
	ck_assert_contains(bpci_diag_last_text(d), "Address already in use");
	bpci__http_server_free(a);
	o.listen = "[::1]:0";
	rc = bpci__http_server_new(&a, base, &o, d);
	if (rc == 0) {
		snprintf(addr, sizeof(addr), "http://[::1]:%u", bpci__http_server_port(a));
		ck_assert_str_eq(bpci__http_server_url(a), addr);
		bpci__http_server_free(a);
	} else {
		ck_assert_int_eq(rc, BPCI_EIO); /* no IPv6 loopback here */
	}
	bpci__http_server_free(NULL);
	bpci_diag_free(d);
	event_base_free(base);
}
END_TEST

static void never(bpci__http_req *req, void *p)
{
	(void)p;
	bpci__http_reply_error(req, 500, "internal", "unexpected", NULL);
}

START_TEST(route_patterns_checked)
{
	struct event_base *base = event_base_new();
	bpci__http_server *s;
	bpci__http_server_opts o = BPCI__HTTP_SERVER_OPTS_INIT;

	o.listen = "127.0.0.1:0";
	ck_assert_int_eq(bpci__http_server_new(&s, base, &o, NULL), 0);
	ck_assert_int_eq(bpci__http_route(s, "GET", "/a/{id}", never, NULL), 0);
	ck_assert_int_eq(bpci__http_route(s, "FETCH", "/a", never, NULL),
			 BPCI_EINVAL);
	ck_assert_int_eq(bpci__http_route(s, "GET", "a", never, NULL),
			 BPCI_EINVAL);
	ck_assert_int_eq(bpci__http_route(s, "GET", "/a/", never, NULL),
			 BPCI_EINVAL);
	ck_assert_int_eq(bpci__http_route(s, "GET", "/a//b", never, NULL),
			 BPCI_EINVAL);
	ck_assert_int_eq(bpci__http_route(s, "GET", "/a/{}", never, NULL),
			 BPCI_EINVAL);
	ck_assert_int_eq(bpci__http_route(s, "GET", "/a/x{id}", never, NULL),
			 BPCI_EINVAL);
	ck_assert_int_eq(bpci__http_route(s, "GET", "/", never, NULL), 0);
	bpci__http_server_free(s);
	event_base_free(base);
}
END_TEST

/* Every allocation failure while building a server is reported and clean. */
START_TEST(allocation_failures_are_clean)
{
	struct event_base *base = event_base_new();
	bpci__http_server_opts o = BPCI__HTTP_SERVER_OPTS_INIT;
	long n;
	int done = 0;

	o.listen = "127.0.0.1:0";
	o.token = "t";
	for (n = 0; n < 100 && !done; n++) {
		bpci__http_server *srv = NULL;
		int rc;

		bpci__alloc_fail_after(n);
		rc = bpci__http_server_new(&srv, base, &o, NULL);
		if (rc == 0)
			rc = bpci__http_route(srv, "GET", "/a/{b}/c/{d}", never, NULL);
		if (rc == 0)
			rc = bpci__http_route(srv, "POST", "/x/y/z", never, NULL);
		bpci__alloc_fail_after(-1);
		if (rc == 0)
			done = 1;
		else
			ck_assert_int_eq(rc, BPCI_ENOMEM);
		bpci__http_server_free(srv);
	}
	ck_assert_int_eq(done, 1);
	ck_assert_int_gt(n, 3);
	event_base_free(base);
}
END_TEST

void add_server_tests(Suite *s)
{
	TCase *tc = tcase_create("server");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, url_has_real_port);
	tcase_add_test(tc, routes_params_and_query);
	tcase_add_test(tc, not_found_and_method_not_allowed);
	tcase_add_test(tc, error_shape_is_exact);
	tcase_add_test(tc, bearer_token_guards_mutations);
	tcase_add_test(tc, body_over_limit_is_413);
	tcase_add_test(tc, slow_client_times_out);
	tcase_add_test(tc, hundred_concurrent_clients);
	tcase_add_test(tc, malformed_requests_do_not_hurt);
	tcase_add_test(tc, stream_chunks_arrive);
	tcase_add_test(tc, stream_notices_client_gone);
	tcase_add_test(tc, idle_stream_notices_client_gone);
	tcase_add_test(tc, stream_outlives_the_timeout);
	tcase_add_test(tc, pipelined_after_stream);
	tcase_add_test(tc, open_stream_released_at_teardown);
	tcase_add_test(tc, unanswered_requests_released_at_teardown);
	tcase_add_test(tc, listen_addresses);
	tcase_add_test(tc, route_patterns_checked);
	tcase_add_test(tc, allocation_failures_are_clean);
	suite_add_tcase(s, tc);
}
