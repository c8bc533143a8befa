/* Flattened table output of JSON answers (cluster_flat.c). */
#ifndef BPCI_CLI_CLUSTER_FLAT_H
#define BPCI_CLI_CLUSTER_FLAT_H

#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

/* Print @json as "FIELD VALUE" rows on @f. */
void cluster_print_flat(const char *json, FILE *f);

#endif
