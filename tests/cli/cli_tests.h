/* Shared helpers of the CLI tests (tests/cli/). */
#ifndef BPCI_TESTS_CLI_H
#define BPCI_TESTS_CLI_H

#include "test.h"

/* Run build/bin/@prog with the NULL-terminated arguments that follow. */
void cli_run(bpci_test_run *r, const char *prog, ...) __attribute__((sentinel));
/* Fail with stdout and stderr shown when the exit status is not @status. */
void cli_expect(const bpci_test_run *r, int status);

/* The files' TCases. */
void cli_add_core_tests(Suite *s);
void cli_add_config_tests(Suite *s);
void cli_add_enterprise_tests(Suite *s);

#endif
