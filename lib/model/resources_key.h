/*
 * Internal: one resource amount by key, for readers that meet the keys one
 * at a time (a YAML mapping such as "capacity: {cpu_cores: 8, memory_gb: 16}")
 * rather than as "cpu=8,memory=16Gi" text.
 */
#ifndef BPCI_LIB_MODEL_RESOURCES_KEY_H
#define BPCI_LIB_MODEL_RESOURCES_KEY_H

#include "bpci/resources.h"

/*
 * Set the amount named by @key (cpu, memory, storage, network, gpu or a long
 * alias such as memory_gb) from @value in that key's units. @seen, when not
 * NULL, is a bit set of the amounts already given (start at 0): a second
 * key for the same amount is an error. Unknown keys get a "did you mean".
 * The diagnostic's field is @key. Returns 0 or BPCI_EINVAL; @res is only
 * changed on success.
 */
int bpci__resources_set_key(bpci_resources *res, unsigned int *seen, const char *key,
			    const char *value, bpci_diag *diag);

/* Number of amounts in a bpci_resources; fields are numbered in struct order. */
#define BPCI__RESOURCE_FIELDS 5

/* The short key of amount @field: "cpu", "memory", "storage", "network", "gpu". */
const char *bpci__resources_key(unsigned int field);

/* The amount @field of @res as text that bpci__resources_set_key() reads
 * back exactly ("8", "16Gi", "1000B", "1000", "1"). */
void bpci__resources_format_field(char *buf, size_t size, const bpci_resources *res,
				  unsigned int field);

#endif
