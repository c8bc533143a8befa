/*
 * libbpci — resource amounts: what a node reserves, what a daemon or an
 * ENC replica offers (the original's ResourceAllocation).
 *
 * Amounts are kept in exact integer units (millicores, bytes, Mbit/s) so
 * that sums and comparisons in placement are exact.
 */
#ifndef BPCI_RESOURCES_H
#define BPCI_RESOURCES_H

#include "common.h"
#include "error.h"

BPCI_BEGIN_DECLS

/** An amount of resources. A plain value type; zero means none. */
typedef struct bpci_resources {
	uint64_t cpu_millicores;  /**< 1000 = one core */
	uint64_t memory_bytes;
	uint64_t storage_bytes;
	uint64_t network_mbps;    /**< megabits per second */
	uint64_t gpu_units;
} bpci_resources;

/**
 * bpci_resources_parse - parse "cpu=8,memory=16Gi,storage=500Gi,network=1000,gpu=1".
 *
 * Keys may come in any order and be omitted (0); each value takes the units
 * its field does: cpu "8", "8 cores", "500m"; memory and storage "16Gi",
 * "500G", or a bare number of GiB; network "1000", "1Gbps" (bare = Mbit/s);
 * gpu a count. The original's long names (cpu_cores, memory_gb, storage_gb,
 * network_bandwidth_mbps, network_mbps, gpu_units) are accepted as keys.
 * Blanks around items, keys and values are ignored; "" (or only blanks)
 * gives all zeros. An unknown key (with a "did you mean" when one is
 * close), an amount given twice (even under two names), a bad value and an
 * empty item are errors; the diagnostic's field is the key as written
 * ("resources" for an item without a key).
 *
 * @out: receives the amounts (left untouched on error).
 * @text: the text.
 * @diag: receives one entry per problem, or NULL.
 * Returns 0, BPCI_EINVAL or BPCI_ENOMEM. Thread-safe (with distinct @diag).
 */
BPCI_EXTERN int bpci_resources_parse(bpci_resources *out, const char *text, bpci_diag *diag);

/**
 * bpci_resources_format - the inverse of bpci_resources_parse(), in the
 * largest exact units ("cpu=8,memory=16Gi,storage=500Gi,network=1000");
 * zero amounts are left out ("" for all zero). A size that is not a whole
 * number of KiB is written in bytes with a B suffix ("memory=1000B"), since a
 * bare number would read back as GiB.
 *
 * @out: receives a string; free it with bpci_free().
 * Returns 0 or BPCI_ENOMEM.
 */
BPCI_EXTERN int bpci_resources_format(char **out, const bpci_resources *res);

/** bpci_resources_fits - non-zero when every amount of @need is at most the
 *  same amount of @free_ (zero fits anywhere). Thread-safe. */
BPCI_EXTERN int bpci_resources_fits(const bpci_resources *need, const bpci_resources *free_);

BPCI_END_DECLS

#endif
