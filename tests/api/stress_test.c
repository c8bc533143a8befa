/* What must not crash or stall the loop: bodies over the limit, malformed
 * HTTP, idle connections and 100 clients at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api_test.h"

#define NCLIENTS 100

static void assert_healthy(const api_fx *fx)
{
	char buf[1024];
	double t0 = now_s();

	ck_assert_int_eq(raw_http(fx->port, "GET /healthz HTTP/1.1\r\nHost: x\r\n"
				  "Connection: close\r\n\r\n", buf, sizeof(buf)), 200);
	ck_assert_msg(now_s() - t0 < 2.0, "health took %.2fs", now_s() - t0);
}

START_TEST(body_over_the_limit_is_413)
{
	api_fx fx;
	char *req = malloc(8192), buf[2048];
	size_t n;

	fx_start(&fx, NULL, 1024);
	n = (size_t)snprintf(req, 8192, "POST /api/nodes HTTP/1.1\r\nHost: x\r\n"
			     "Connection: close\r\nAuthorization: Bearer %s\r\n"
			     "Content-Length: 4096\r\n\r\n", fx.token);
	memset(req + n, 'x', 4096);
	req[n + 4096] = '\0';
	ck_assert_int_eq(raw_http(fx.port, req, buf, sizeof(buf)), 413);
	assert_healthy(&fx);
	free(req);
	fx_stop(&fx);
}
END_TEST

START_TEST(malformed_http_is_refused)
{
	static const char *const bad[] = {
		"GARBAGE\r\n\r\n",
		"GET\r\n\r\n",
		"GET /api/nodes HTTP/7.7\r\n\r\n",
		"GET /api/nodes HTTP/1.1\r\nno colon here\r\n\r\n",
		"POST /api/nodes HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
		"POST /api/nodes HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
		"\x01\x02\x03\x04\xff\xfe\r\n\r\n",
	};
	api_fx fx;
	char buf[2048];
	size_t i;

	fx_start(&fx, NULL, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int status = raw_http(fx.port, bad[i], buf, sizeof(buf));

		/* A 4xx answer or a closed connection, never a success. */
		ck_assert_msg(status == 0 || (status >= 400 && status < 500),
			      "request %zu got %d: %s", i, status, buf);
		assert_healthy(&fx);
	}
	fx_stop(&fx);
}
END_TEST

START_TEST(hundred_concurrent_clients)
{
	api_fx fx;
	int fds[NCLIENTS], idle[10];
	static char buf[NCLIENTS][4096];
	bpci_client *cl;
	bpci_node_spec *spec = fx_spec("busy", "exec sleep 30");
	size_t i;
	double t0;

	fx_start(&fx, NULL, 0);
	cl = fx_client(&fx, NULL);
	ck_assert_int_eq(bpci_client_start_node(NULL, cl, spec, NULL, NULL), 0);
	/* Connections that never send a byte must not hold the loop. */
	for (i = 0; i < 10; i++)
		ck_assert_int_ge(idle[i] = raw_connect(fx.port), 0);
	t0 = now_s();
	for (i = 0; i < NCLIENTS; i++) {
		static const char req[] = "GET /api/nodes HTTP/1.1\r\nHost: x\r\n"
					  "Connection: close\r\n\r\n";

		fds[i] = raw_connect(fx.port);
		ck_assert_int_ge(fds[i], 0);
		ck_assert_int_eq(send(fds[i], req, sizeof(req) - 1, MSG_NOSIGNAL),
				 (ssize_t)(sizeof(req) - 1));
	}
	for (i = 0; i < NCLIENTS; i++) {
		size_t off = 0;
		ssize_t n;

		while (off + 1 < sizeof(buf[i]) &&
		       (n = recv(fds[i], buf[i] + off, sizeof(buf[i]) - 1 - off, 0)) > 0)
			off += (size_t)n;
		buf[i][off] = '\0';
		close(fds[i]);
		ck_assert_msg(strncmp(buf[i], "HTTP/1.1 200", 12) == 0, "client %zu: %s", i,
			      buf[i]);
		api_assert_has(raw_body(buf[i]), "\"name\":\"busy\"");
	}
	ck_assert_msg(now_s() - t0 < 10.0, "100 clients took %.2fs", now_s() - t0);
	assert_healthy(&fx);
	for (i = 0; i < 10; i++)
		close(idle[i]);
	assert_healthy(&fx);
	bpci_node_spec_free(spec);
	bpci_client_free(cl);
	fx_stop(&fx);
}
END_TEST

/* A client that sends half a request and then nothing is cut off after the
 * timeout, while others are served meanwhile. */
START_TEST(slow_client_times_out)
{
	api_fx fx;
	char c;
	double t0;
	ssize_t n;
	int fd;

	fx_start_timeout(&fx, NULL, 0, 500);
	fd = raw_connect(fx.port);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(send(fd, "GET /api/nodes HTTP/1.1\r\nHost:", 31, MSG_NOSIGNAL), 31);
	assert_healthy(&fx);
	t0 = now_s();
	n = recv(fd, &c, 1, 0); /* the server closes: EOF (or a 408 first) */
	ck_assert_msg(n >= 0, "recv: no close within the 5 s receive timeout");
	ck_assert_msg(now_s() - t0 < 3.0, "closed after %.2fs", now_s() - t0);
	close(fd);
	assert_healthy(&fx);
	fx_stop(&fx);
}
END_TEST

void add_stress_tests(Suite *s)
{
	TCase *tc = tcase_create("stress");

	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, body_over_the_limit_is_413);
	tcase_add_test(tc, malformed_http_is_refused);
	tcase_add_test(tc, hundred_concurrent_clients);
	tcase_add_test(tc, slow_client_times_out);
	suite_add_tcase(s, tc);
}
