/*
 * Shared test support. Each directory tests/<module>/ builds one Check
 * program, build/tests/test_<module>; exactly one file there defines
 * bpci_test_suite(), which returns the module's suite (other files of the
 * directory add their TCases through functions it calls).
 */
#ifndef BPCI_TEST_H
#define BPCI_TEST_H

#include <check.h>
#include <stddef.h>

Suite *bpci_test_suite(void);

/*
 * `test_<module> --as-node ARGS...` runs this instead of the suite, so that
 * a suite can use its own binary as a child program (the coordinator's
 * tests run it as a node). The default (weak, in support.c) returns 2; a
 * module defines its own to give it a meaning.
 */
int bpci_test_node_main(int argc, char **argv);

/* The build directory (BPCI_BUILD, default "build"), for finding programs. */
const char *bpci_test_build_dir(void);

/* Path of a file relative to the source tree's root (tests run from it). */
const char *bpci_test_src(const char *relative);

/* A new empty temporary directory (removed by bpci_test_rmtree). */
char *bpci_test_mkdtemp(void);
void bpci_test_rmtree(const char *path);

/* Write @text to a new file @name inside @dir; returns the malloc'd path. */
char *bpci_test_write_file(const char *dir, const char *name, const char *text);

/* Result of running a program. */
typedef struct bpci_test_run {
	int status;      /* exit status, or 128+signal */
	char *out;       /* stdout, NUL-terminated (malloc'd) */
	char *err;       /* stderr, NUL-terminated (malloc'd) */
} bpci_test_run;

/*
 * Run build/bin/<program> with @argv (NULL-terminated, argv[0] excluded),
 * stdin from /dev/null, capturing stdout and stderr. Aborts the test on
 * failure to spawn.
 */
void bpci_test_run_program(bpci_test_run *r, const char *program, const char *const *argv);
void bpci_test_run_free(bpci_test_run *r);

/* ck_assert that @haystack contains @needle, printing both when it does not. */
#define ck_assert_contains(haystack, needle) \
	ck_assert_msg(strstr((haystack), (needle)) != NULL, \
		      "expected to find \"%s\" in:\n%s", (needle), (haystack))

#endif
