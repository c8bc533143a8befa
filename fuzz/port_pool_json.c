/*
 * libFuzzer target: any bytes given to bpci_port_pool_from_json() must give
 * either a pool or an error code, never a crash, a leak or a partial pool;
 * a pool that loads must write canonical JSON that loads back to the same
 * text, and must keep allocating and expiring consistently.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(bpci_port_pool *pool)
{
	uint16_t port, *gone = NULL;
	size_t n, before = bpci_port_pool_count(pool);

	if (bpci_port_pool_allocate(&port, pool, 1) == 0) {
		if (bpci_port_pool_is_allocated(pool, port) != 1 ||
		    bpci_port_pool_count(pool) != before + 1)
			abort();
	}
	if (bpci_port_pool_expire(&gone, &n, pool, UINT64_C(1) << 62) != 0)
		abort();
	if (bpci_port_pool_count(pool) + n < before)
		abort();
	bpci_free(gone);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bpci_port_pool *pool = NULL, *back = NULL;
	bpci_diag *diag = NULL;
	char *a = NULL, *b = NULL;

	if (bpci_diag_new(&diag) != 0)
		return 0;
	if (bpci_port_pool_from_json(&pool, (const char *)data, size, diag) != 0) {
		if (pool != NULL)   /* no partial pool on error */
			abort();
	} else {
		if (bpci_port_pool_to_json(&a, pool) != 0 ||
		    bpci_port_pool_from_json(&back, a, strlen(a), NULL) != 0 ||
		    bpci_port_pool_to_json(&b, back) != 0 || strcmp(a, b) != 0)
			abort();
		exercise(pool);
	}
	bpci_free(a);
	bpci_free(b);
	bpci_port_pool_free(pool);
	bpci_port_pool_free(back);
	bpci_diag_free(diag);
	return 0;
}
