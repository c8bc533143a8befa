/* Shared helpers of the http test program: a server running its event loop
 * in a background thread, and raw sockets for what a polite client never
 * sends. */
#ifndef BPCI_TESTS_HTTP_TEST_H
#define BPCI_TESTS_HTTP_TEST_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include <event2/event.h>

#include "runtime/http_server.h"
#include "test.h"

typedef struct test_server {
	struct event_base *base;
	bpci__http_server *srv;
	pthread_t thread;
	int stop_pipe[2];
	struct event *stop_ev;
	char url[96];
	unsigned int port;
	atomic_int gone;         /* stream gone callbacks seen */
	atomic_int chunks_sent;
} test_server;

/* Starts a server on 127.0.0.1:0 with the test routes; @opts may be NULL.
 * The token is "s3cret" unless opts says otherwise. */
void test_server_start(test_server *ts, const bpci__http_server_opts *opts);
void test_server_stop(test_server *ts);

/* Connects to 127.0.0.1:@port (blocking, 5 s receive timeout); -1 on failure. */
int raw_connect(unsigned int port);
/* Sends @req, then reads until EOF, timeout or @cap-1 bytes; NUL-terminates.
 * Returns the number of bytes read. */
size_t raw_exchange(unsigned int port, const char *req, size_t len, char *out, size_t cap);
/* Seconds since an arbitrary point (CLOCK_MONOTONIC). */
double now_s(void);

void add_server_tests(Suite *s);
void add_client_tests(Suite *s);
void add_probe_tests(Suite *s);

#endif
