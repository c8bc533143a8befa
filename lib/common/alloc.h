/*
 * Internal: every allocation in libbpci goes through these wrappers so that
 * tests can fail the Nth allocation and check that each error path is clean
 * (see tests/common/test_alloc.c).
 */
#ifndef BPCI_LIB_COMMON_ALLOC_H
#define BPCI_LIB_COMMON_ALLOC_H

#include <stddef.h>

void *bpci__malloc(size_t size);
void *bpci__calloc(size_t count, size_t size);
void *bpci__realloc(void *ptr, size_t size);
/* Grows an array of *cap elements of elem_size to hold at least need; 0 or -1. */
int bpci__grow(void **array, size_t *cap, size_t need, size_t elem_size);
char *bpci__strdup(const char *s);
char *bpci__strndup(const char *s, size_t n);
/* printf into a new string; NULL on failure. */
char *bpci__asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void bpci__free(void *ptr);

/*
 * Test hook: make the allocation after the next @n succeed-calls fail
 * (n == 0 fails the very next one); a negative n turns failures off.
 * Returns how many allocations were attempted since the last call.
 */
long bpci__alloc_fail_after(long n);

#endif
