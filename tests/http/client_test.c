/* The blocking HTTP client: transport failures and answers. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bpci.h"
#include "http_test.h"
#include "runtime/http_client.h"

/* A port on 127.0.0.1 where nothing listens (bound, then released). */
static unsigned int dead_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

START_TEST(unreachable_names_the_url)
{
	bpci__http_response r;
	bpci_diag *d;
	char url[96];

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/api/nodes", dead_port());
	ck_assert_int_eq(bpci__http_request(NULL, "GET", url, NULL, 0, &r, d), BPCI_EUNREACHABLE);
	ck_assert_int_eq(r.status, 0);
	ck_assert_contains(bpci_diag_last_text(d), url);
	ck_assert_contains(bpci_diag_last_text(d), "cannot reach");
	bpci__http_response_clear(&r);
	bpci_diag_clear(d);
	ck_assert_int_eq(bpci__http_request(NULL, "GET", "http://no-such-host.invalid/x", NULL, 0,
					    &r, d), BPCI_EUNREACHABLE);
	ck_assert_contains(bpci_diag_last_text(d), "http://no-such-host.invalid/x");
	bpci__http_response_clear(&r);
	ck_assert_int_eq(bpci__http_request(NULL, "GET", "ftp://127.0.0.1/x", NULL, 0, &r, d),
			 BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_get(d, bpci_diag_count(d) - 1)->field, "url");
	bpci__http_response_clear(&r);
	ck_assert_int_eq(bpci__http_request(NULL, "BREW", url, NULL, 0, &r, d), BPCI_EINVAL);
	ck_assert_str_eq(bpci_diag_get(d, bpci_diag_count(d) - 1)->field, "method");
	bpci__http_response_clear(&r);
	bpci_diag_free(d);
}
END_TEST

START_TEST(answers_and_limits)
{
	test_server ts;
	bpci__http_client_opts o = BPCI__HTTP_CLIENT_OPTS_INIT;
	bpci__http_response r;
	bpci_diag *d;
	char url[128];

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	test_server_start(&ts, NULL);
	snprintf(url, sizeof(url), "%s/status?code=503", ts.url);
	ck_assert_int_eq(bpci__http_request(&o, "GET", url, NULL, 0, &r, d), BPCI_EBUSY);
	ck_assert_int_eq(r.status, 503);
	ck_assert_str_eq(r.body, "status\n");
	ck_assert_str_eq(r.content_type, "text/plain");
	bpci__http_response_clear(&r);
	snprintf(url, sizeof(url), "%s/api/nodes/abcdefghijklmnop", ts.url);
	o.max_response = 10;
	ck_assert_int_eq(bpci__http_request(&o, "GET", url, NULL, 0, &r, d), BPCI_ELIMIT);
	ck_assert_contains(bpci_diag_last_text(d), "exceeds 10 bytes");
	bpci__http_response_clear(&r);
	o.max_response = 0;
	ck_assert_int_eq(bpci__http_request(&o, "HEAD", url, NULL, 0, &r, d), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.len, 0);
	ck_assert_str_eq(r.body, "");
	bpci__http_response_clear(&r);
	test_server_stop(&ts);
	bpci_diag_free(d);
}
END_TEST

START_TEST(hung_server_times_out)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bpci__http_client_opts o = BPCI__HTTP_CLIENT_OPTS_INIT;
	bpci__http_response r;
	bpci_diag *d;
	char url[96];
	double t0, dt;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", ntohs(sin.sin_port));
	ck_assert_int_eq(bpci_diag_new(&d), 0);
	o.timeout_ms = 300;
	t0 = now_s();
	ck_assert_int_eq(bpci__http_request(&o, "GET", url, NULL, 0, &r, d), BPCI_EUNREACHABLE);
	dt = now_s() - t0;
	ck_assert_msg(dt > 0.25 && dt < 2.0, "took %.3f s", dt);
	ck_assert_contains(bpci_diag_last_text(d), url);
	bpci__http_response_clear(&r);
	bpci_diag_free(d);
	close(fd);
}
END_TEST

void add_client_tests(Suite *s)
{
	TCase *tc = tcase_create("client");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, unreachable_names_the_url);
	tcase_add_test(tc, answers_and_limits);
	tcase_add_test(tc, hung_server_times_out);
	suite_add_tcase(s, tc);
}
