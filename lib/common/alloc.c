#include "alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpci/common.h"

/* Failure injection state. Only tests touch it, from one thread. */
static long fail_countdown = -1;
static long attempts;

static int should_fail(void)
{
	attempts++;
	if (fail_countdown < 0)
		return 0;
	if (fail_countdown == 0) {
		fail_countdown = -1;
		return 1;
	}
	fail_countdown--;
	return 0;
}

long bpci__alloc_fail_after(long n)
{
	long seen = attempts;

	attempts = 0;
	fail_countdown = n;
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
