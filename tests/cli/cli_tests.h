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

/* @text with every run of white space made one blank (help text is
 * wrapped at 79 columns). Returns a malloc'd string. */
char *cli_squash(const char *text);

/* Like ck_assert_contains, but shows at most 2000 bytes of @haystack
 * (Check refuses longer failure messages). */
#define cli_assert_has(haystack, needle) \
	ck_assert_msg(strstr((haystack), (needle)) != NULL, \
		      "expected to find \"%s\" in:\n%.2000s", (needle), (haystack))

/* The files' TCases. */
void cli_add_core_tests(Suite *s);
void cli_add_config_tests(Suite *s);
void cli_add_enterprise_tests(Suite *s);
void cli_add_coordinator_tests(Suite *s);

#endif
