#include "alloc.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpci/common.h"

/*
 * Failure injection state. Only tests arm it, from one thread, but every
 * thread allocates: the counters are relaxed atomics so that a threaded
 * program (the ledger's group commit) has no data race on them.
 */
static _Atomic long fail_countdown = -1;
static _Atomic long attempts;

static int should_fail(void)
{
	long left;

	atomic_fetch_add_explicit(&attempts, 1, memory_order_relaxed);
	left = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
	while (left >= 0) {
		/* n > 0 counts down; reaching 0 fails once and disarms (-1). */
		if (atomic_compare_exchange_weak_explicit(&fail_countdown, &left, left - 1,
							  memory_order_relaxed,
							  memory_order_relaxed))
			return left == 0;
	}
	return 0;
}

long bpci__alloc_fail_after(long n)
{
	long seen = atomic_exchange_explicit(&attempts, 0, memory_order_relaxed);

	atomic_store_explicit(&fail_countdown, n < 0 ? -1 : n, memory_order_relaxed);
	return seen;
}

void *bpci__malloc(size_t size)
{
	if (should_fail())
		return NULL;
	return malloc(size ? size : 1);
}

void *bpci__calloc(size_t count, size_t size)
{
	if (should_fail())
		return NULL;
	return calloc(count ? count : 1, size ? size : 1);
}

void *bpci__realloc(void *ptr, size_t size)
{
	if (should_fail())
		return NULL;
	return realloc(ptr, size ? size : 1);
}

int bpci__grow(void **array, size_t *cap, size_t need, size_t elem_size)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap : 4;
	while (ncap < need) {
		if (ncap > ((size_t)-1) / 2 / elem_size)
			return -1;
		ncap *= 2;
	}
	p = bpci__realloc(*array, ncap * elem_size);
	if (!p)
		return -1;
	*array = p;
	*cap = ncap;
	return 0;
}

char *bpci__strndup(const char *s, size_t n)
{
	char *p = bpci__malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *bpci__strdup(const char *s)
{
	return bpci__strndup(s, strlen(s));
}

char *bpci__asprintf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	p = bpci__malloc((size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void bpci__free(void *ptr)
{
	free(ptr);
}

void bpci_free(void *ptr)
{
	bpci__free(ptr);
}
