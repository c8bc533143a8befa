/* Shared helpers of the api test program: a real coordinator with its API
 * server, run by a background thread, in a temporary state directory. */
#ifndef BPCI_TESTS_API_TEST_H
#define BPCI_TESTS_API_TEST_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "bpci.h"
#include "test.h"

typedef struct api_fx {
	char *dir;            /* temporary directory (removed by fx_stop) */
	char *state;          /* DIR/state */
	char *config;         /* DIR/config.yaml, or NULL */
	bpci_coordinator *c;
	bpci_server *srv;
	pthread_t thread;
	int running;
	int run_rc;
	char url[128];
	char token[160];
	unsigned int port;
} api_fx;

/* Start a coordinator and its server on 127.0.0.1:0; @config_yaml (or
 * NULL) is written to DIR/config.yaml and applied; @max_body 0: default. */
void fx_start(api_fx *fx, const char *config_yaml, size_t max_body);
/* The same with the server's per-connection timeout (0: default). */
void fx_start_timeout(api_fx *fx, const char *config_yaml, size_t max_body,
		      unsigned int timeout_ms);
/* ... and node logs rotated at @log_max_bytes (0: default). */
void fx_start_ex(api_fx *fx, const char *config_yaml, size_t max_body, unsigned int timeout_ms,
		 uint64_t log_max_bytes);
/* Stop the loop thread only (the coordinator and server stay). */
void fx_pause(api_fx *fx);
/* Start the loop thread again after fx_pause(). */
void fx_resume(api_fx *fx);
/* Stop the thread, free the server, stop every node, free everything. */
void fx_stop(api_fx *fx);
/* A client with the fixture's URL and @token (NULL: the right one). */
bpci_client *fx_client(const api_fx *fx, const char *token);

/* A storage node spec running `sh -c @script` (health none). */
bpci_node_spec *fx_spec(const char *name, const char *script);
/* Poll (client) until node @id is in @state; fails the test after 10 s. */
void fx_wait_state(bpci_client *cl, const char *id, bpci_node_state state);

/* Raw HTTP: send @req to 127.0.0.1:@port, read until EOF into @out
 * (NUL-terminated). Returns the status code of the answer, 0 for none. */
int raw_http(unsigned int port, const char *req, char *out, size_t cap);
/* The body of a raw answer (after the blank line), or "". */
const char *raw_body(const char *answer);
/* Connect to 127.0.0.1:@port (5 s receive timeout); -1 on failure. */
int raw_connect(unsigned int port);
double now_s(void);
int pid_alive(int pid);

/* ck_assert_contains that shows at most 2000 bytes of @haystack. */
#define api_assert_has(haystack, needle) \
	ck_assert_msg(strstr((haystack), (needle)) != NULL, \
		      "expected to find \"%s\" in:\n%.2000s", (needle), (haystack))

void add_route_tests(Suite *s);
void add_mutation_tests(Suite *s);
void add_stress_tests(Suite *s);
void add_log_tests(Suite *s);
void add_client_tests(Suite *s);
void add_alloc_tests(Suite *s);
void add_gap_tests(Suite *s);
void add_audit_tests(Suite *s);
void add_trail_tests(Suite *s);

#endif
