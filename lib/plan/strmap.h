/*
 * Internal: a map from strings (borrowed) to indices, open addressing with
 * linear probing. The plan layer keys daemons, nodes, constraint classes
 * and anti-affinity groups by name with it; 100,000 nodes must be found in
 * O(1), not by a scan.
 */
#ifndef BPCI_LIB_PLAN_STRMAP_H
#define BPCI_LIB_PLAN_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct bpci__strmap {
	const char **keys;   /* borrowed; NULL = empty slot */
	uint32_t *vals;
	size_t cap, len;     /* cap is 0 or a power of two */
} bpci__strmap;

#define BPCI__STRMAP_NONE UINT32_MAX

void bpci__strmap_free(bpci__strmap *m);
/* The value of @key, or BPCI__STRMAP_NONE. */
uint32_t bpci__strmap_get(const bpci__strmap *m, const char *key);
/* Insert or replace; the key must outlive the map entry. 0 or -1 (ENOMEM). */
int bpci__strmap_put(bpci__strmap *m, const char *key, uint32_t val);
/* Remove @key if present. */
void bpci__strmap_del(bpci__strmap *m, const char *key);

#endif
