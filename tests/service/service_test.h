/* Shared helpers of the service tests (tests/service/). */
#ifndef BPCI_TESTS_SERVICE_TEST_H
#define BPCI_TESTS_SERVICE_TEST_H

#include <stddef.h>
#include <sys/types.h>

#include "bpci.h"
#include "test.h"

struct event_base;

TCase *svc_test_env(void);
TCase *svc_test_http(void);
TCase *svc_test_node(void);

/* Milliseconds on the monotonic clock. */
long svc_now_ms(void);

/* Write a valid spec of a storage node with id @id (NULL: none) to
 * @dir/@name; returns the malloc'd path. */
char *svc_write_storage_spec(const char *dir, const char *name, const char *id);

/* Unset every variable of the node process contract. */
void svc_clear_env(void);

/* Run @base until *@flag is non-zero or @timeout_ms passes; returns *flag. */
int svc_loop_until(struct event_base *base, const volatile int *flag, int timeout_ms);

/* One HTTP exchange with 127.0.0.1:@port through libcurl. @method NULL is
 * GET; @body may be NULL; @header one extra "Name: value" or NULL.
 * *@out receives the body (malloc'd, NUL-terminated), *@allow the Allow
 * header's value (malloc'd, "" when absent) when @allow is not NULL.
 * Returns the HTTP status, or -1 when no answer came. */
long svc_http(unsigned int port, const char *method, const char *path, const char *body,
	      const char *header, char **out, char **allow);

/* Check a Prometheus text exposition: `promtool check metrics` when
 * /usr/bin/promtool exists, and always a strict line-by-line check of our
 * own. Fails the test with the reason. */
void svc_check_exposition(const char *text);

#endif
