/* Free TCP ports and bind tests on 127.0.0.1. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bpci.h"
#include "runtime/port.h"
#include "runtime_test.h"

static int listen_on(uint16_t port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(fd, 4), 0);
	return fd;
}

START_TEST(free_port_is_bindable_and_busy_when_held)
{
	uint16_t port = 0, other = 0;
	bpci_diag *d;
	char num[16];
	int fd;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci__port_free_tcp("127.0.0.1", &port, d), 0);
	ck_assert_uint_gt(port, 0);
	ck_assert_int_eq(bpci__port_test_bind("127.0.0.1", port, d), 0);
	fd = listen_on(port); /* really bindable */
	ck_assert_int_eq(bpci__port_test_bind("127.0.0.1", port, d), BPCI_EBUSY);
	snprintf(num, sizeof(num), "%u", port);
	ck_assert_contains(bpci_diag_last_text(d), num);
	ck_assert_contains(bpci_diag_last_text(d), "in use");
	ck_assert_int_eq(bpci__port_test_bind(NULL, port, d), BPCI_EBUSY);
	/* The next free port is another one while this one is held. */
	ck_assert_int_eq(bpci__port_free_tcp(NULL, &other, d), 0);
	ck_assert_uint_ne(other, port);
	close(fd);
	ck_assert_int_eq(bpci__port_test_bind("127.0.0.1", port, d), 0);
	bpci_diag_free(d);
}
END_TEST

START_TEST(port_rejects_bad_input)
{
	uint16_t port = 0;
	bpci_diag *d;

	ck_assert_int_eq(bpci_diag_new(&d), 0);
	ck_assert_int_eq(bpci__port_free_tcp("localhost", &port, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "\"localhost\"");
	ck_assert_int_eq(bpci__port_test_bind("127.0.0.1", 0, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "port must be 1..65535, got 0");
	/* An address that is not ours cannot be bound. */
	ck_assert_int_eq(bpci__port_test_bind("192.0.2.1", 8080, d), BPCI_EINVAL);
	ck_assert_contains(bpci_diag_last_text(d), "192.0.2.1:8080");
	bpci_diag_free(d);
}
END_TEST

TCase *bpci_test_runtime_port(void)
{
	TCase *tc = tcase_create("port");

	tcase_add_test(tc, free_port_is_bindable_and_busy_when_held);
	tcase_add_test(tc, port_rejects_bad_input);
	return tc;
}
