/* Shared helpers of the CLI tests (tests/cli/). */
#ifndef BPCI_TESTS_CLI_H
#define BPCI_TESTS_CLI_H

#include "test.h"

/* Run build/bin/@prog with the NULL-terminated arguments that follow. */
void cli_run(bpci_test_run *r, const char *prog, ...) __attribute__((sentinel));
/* Fail with stdout and stderr shown when the exit status is not @status. */
void cli_expect(const bpci_test_run *r, int status);

/* Assert that a table row "key<2+ blanks>value" is in @out. */
void cli_assert_row(const char *out, const char *key, const char *value);
/* Assert that every line of @out's first block (up to an empty line) has
 * its second column at the same offset. */
void cli_assert_aligned(const char *out);

/* The files' TCases. */
void cli_add_core_tests(Suite *s);
void cli_add_config_tests(Suite *s);
void cli_add_enterprise_tests(Suite *s);

#endif
