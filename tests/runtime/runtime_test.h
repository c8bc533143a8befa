/* Shared helpers of the runtime tests (one TCase per file). */
#ifndef BPCI_TESTS_RUNTIME_TEST_H
#define BPCI_TESTS_RUNTIME_TEST_H

#include <stddef.h>
#include <sys/types.h>

#include "test.h"

struct event_base;

TCase *bpci_test_runtime_proc(void);
TCase *bpci_test_runtime_logfile(void);
TCase *bpci_test_runtime_notify(void);
TCase *bpci_test_runtime_backoff(void);
TCase *bpci_test_runtime_port(void);
TCase *bpci_test_runtime_fsutil(void);
TCase *bpci_test_runtime_alloc(void);

/* Run @base until *@flag becomes non-zero or @timeout_ms passes; returns
 * the flag's final value. */
int rt_loop_until(struct event_base *base, const volatile int *flag, int timeout_ms);

/* Read everything from @fd until EOF (at most @timeout_ms in total) into a
 * malloc'd NUL-terminated string. */
char *rt_read_all(int fd, int timeout_ms);

/* The whole content of @path (malloc'd), or NULL when it does not exist;
 * *len gets its size. */
char *rt_slurp(const char *path, size_t *len);

/* Number of open descriptors of this process. */
int rt_count_fds(void);

/* 1 when this process has no child left to reap (no zombie). */
int rt_no_children(void);

#endif
