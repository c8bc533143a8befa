/*
 * Internal: a daemon's ledger shipped to a remote mirror on its own thread
 * (shipping.c), shared by the coordinator (coordinator_ship.c) and the
 * cluster manager (cluster_ship.c): the shipper of bpci/ledger_server.h
 * plus what the daemons show of it (health JSON, /metrics text).
 *
 * All functions are called from the daemon's loop thread; the shipper's
 * own thread only touches the shipper.
 */
#ifndef BPCI_LIB_RUNTIME_SHIPPING_H
#define BPCI_LIB_RUNTIME_SHIPPING_H

#include <jansson.h>

#include "bpci/ledger_server.h"

typedef struct bpci__shipping bpci__shipping;

/*
 * Ship @ledger (directory @dir) as @o says, restarting the shipper when
 * the endpoint or the token changed (a NULL or "" endpoint stops it). *sp
 * is NULL when not shipping. The shipper starts at once and ships what is
 * pending. Returns 0 or an error of bpci_ledger_shipper_new()/_start()
 * (then nothing ships and *sp is NULL).
 */
int bpci__shipping_set(bpci__shipping **sp, bpci_ledger *ledger, const char *dir,
		       const bpci_ledger_shipper_options *o, bpci_diag *diag);
/* Entries were appended. NULL is a no-op. */
void bpci__shipping_notify(bpci__shipping *s);
/* Stop the thread (waiting for a request in flight) and free. NULL is a no-op. */
void bpci__shipping_free(bpci__shipping *s);
/* The shipper's statistics; BPCI_ENOTFOUND when @s is NULL. */
int bpci__shipping_stats(bpci_ledger_ship_stats *out, bpci__shipping *s);
/* Add "ledger_shipping" to health document @doc (nothing when @s is NULL);
 * on divergence also "status":"degraded" and "alarm". */
void bpci__shipping_health(json_t *doc, bpci__shipping *s, bpci_ledger *ledger);
/* The Prometheus text of the shipping metrics ("" when @s is NULL);
 * bpci__free() it; NULL on ENOMEM. */
char *bpci__shipping_metrics(bpci__shipping *s, bpci_ledger *ledger);

#endif
