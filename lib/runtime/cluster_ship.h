/*
 * Internal: the cluster manager's ledger shipped to a remote ledger
 * (cluster_ship.c). Loop thread only.
 */
#ifndef BPCI_LIB_RUNTIME_CLUSTER_SHIP_H
#define BPCI_LIB_RUNTIME_CLUSTER_SHIP_H

#include <jansson.h>

#include "bpci/cluster_manager.h"

/* Entries were appended to DIR/ledger (no-op when not shipping). */
void bpci__cm_ship_notify(bpci_cluster_manager *cm);
/* Stop shipping (before the ledger is closed). */
void bpci__cm_ship_free(bpci_cluster_manager *cm);
/* "ledger_shipping" (and on divergence "status":"degraded", "alarm") into @doc. */
void bpci__cm_ship_health(json_t *doc, bpci_cluster_manager *cm);
/* Prometheus text ("" when not shipping); bpci__free(); NULL on ENOMEM. */
char *bpci__cm_ship_metrics(bpci_cluster_manager *cm);

#endif
