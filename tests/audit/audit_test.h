/* Shared helpers of the audit tests (helpers.c). */
#ifndef BPCI_TEST_AUDIT_H
#define BPCI_TEST_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <bpci.h>

#include "test.h"

void audit_add_cli_tests(Suite *s);
void audit_add_ship_tests(Suite *s);
void audit_add_daemon_ship_tests(Suite *s);

/* A writable ledger at @dir with automatic checkpoints off. */
bpci_ledger *at_open(const char *dir);
/* Appends @n events "node.started" with subjects "<prefix><i>". */
void at_fill(bpci_ledger *l, const char *prefix, size_t n);
/* Runs bpci-enterprise with the NULL-terminated words. */
void at_run(bpci_test_run *r, ...) __attribute__((sentinel));
/* Lowercase hex of 32 bytes. */
void at_hex(char out[65], const uint8_t h[32]);

/* A child process with its stdout on a pipe. */
typedef struct at_child {
	pid_t pid;
	int out;        /* read end of its stdout */
	char url[256];  /* "listening on URL" of ledger serve */
} at_child;

/* Starts bpci-enterprise with the words (NULL-terminated). */
void at_spawn(at_child *c, const char *const *argv);
/* Reads one line of the child's stdout into @buf (waits up to @ms). 0 on timeout/EOF. */
int at_read_line(at_child *c, char *buf, size_t cap, int ms);
/* Starts "ledger serve" on @listen for @dir with token file @token; fills c->url. */
void at_serve(at_child *c, const char *dir, const char *listen, const char *token);
/* Sends @sig and waits; returns the exit status (128+signal when killed). */
int at_stop(at_child *c, int sig);

#endif
