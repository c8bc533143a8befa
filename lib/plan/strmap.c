#include "strmap.h"

#include <string.h>

#include "common/alloc.h"

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;   /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h ^ (h >> 29);
}

void bpci__strmap_free(bpci__strmap *m)
{
	bpci__free(m->keys);
	bpci__free(m->vals);
	memset(m, 0, sizeof(*m));
}

uint32_t bpci__strmap_get(const bpci__strmap *m, const char *key)
{
	size_t i;

	if (!m->cap)
		return BPCI__STRMAP_NONE;
	for (i = hash(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (strcmp(m->keys[i], key) == 0)
			return m->vals[i];
	return BPCI__STRMAP_NONE;
}

static void put_raw(bpci__strmap *m, const char *key, uint32_t val)
{
	size_t i;

	for (i = hash(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (strcmp(m->keys[i], key) == 0)
			break;
	if (!m->keys[i])
		m->len++;
	m->keys[i] = key;
	m->vals[i] = val;
}

static int rehash(bpci__strmap *m, size_t ncap)
{
	bpci__strmap n = {0};
	size_t i;

	n.keys = bpci__calloc(ncap, sizeof(*n.keys));
	n.vals = bpci__calloc(ncap, sizeof(*n.vals));
	if (!n.keys || !n.vals) {
		bpci__strmap_free(&n);
		return -1;
	}
	n.cap = ncap;
	for (i = 0; i < m->cap; i++)
		if (m->keys[i])
			put_raw(&n, m->keys[i], m->vals[i]);
	bpci__strmap_free(m);
	*m = n;
	return 0;
}

int bpci__strmap_put(bpci__strmap *m, const char *key, uint32_t val)
{
	/* Keep the load under 1/2 so probes stay short. */
	if ((m->len + 1) * 2 > m->cap && rehash(m, m->cap ? m->cap * 2 : 16) < 0)
		return -1;
	put_raw(m, key, val);
	return 0;
}

void bpci__strmap_del(bpci__strmap *m, const char *key)
{
	size_t i, j, home;

	if (!m->cap)
		return;
	for (i = hash(key) & (m->cap - 1); m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (strcmp(m->keys[i], key) == 0)
			break;
	if (!m->keys[i])
		return;
	/* Backward-shift deletion: no tombstones, probes stay exact. */
	m->keys[i] = NULL;
	m->len--;
	for (j = (i + 1) & (m->cap - 1); m->keys[j]; j = (j + 1) & (m->cap - 1)) {
		home = hash(m->keys[j]) & (m->cap - 1);
		if (((j - home) & (m->cap - 1)) >= ((j - i) & (m->cap - 1))) {
			m->keys[i] = m->keys[j];
			m->vals[i] = m->vals[j];
			m->keys[j] = NULL;
			i = j;
		}
	}
}
