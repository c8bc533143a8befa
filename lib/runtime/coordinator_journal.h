/*
 * Internal: the journal's names, and opening a coordinator whose journal
 * is not DIR/ledger (the cluster manager keeps its own ledger there and
 * shares the directory).
 */
#ifndef BPCI_LIB_RUNTIME_COORDINATOR_JOURNAL_H
#define BPCI_LIB_RUNTIME_COORDINATOR_JOURNAL_H

#include "bpci/coordinator.h"

struct json_t;

/* The actor of the coordinator's entries and the name of its snapshot. */
#define BPCI__COORD_JOURNAL_ACTOR "coordinator"
#define BPCI__COORD_JOURNAL_SNAPSHOT "coordinator"

/* The coordinator's journal directory name, inside its state directory. */
#define BPCI__COORD_JOURNAL_DEFAULT "ledger"

/* bpci_coordinator_new() with the journal in STATE_DIR/@journal_name. */
int bpci__coordinator_new_journal(bpci_coordinator **out, const bpci_coordinator_options *opts,
				  const char *journal_name, bpci_diag *diag);

/*
 * Queue an entry that is not a node-table change (node.health,
 * api.request) for the next flush, which is group-committed within a few
 * milliseconds together with the table's changes: no fsync of its own.
 * Takes @details (a JSON object's text, bpci__ allocated; NULL: ENOMEM).
 * Returns 0, BPCI_ENOMEM, or BPCI_ELIMIT when too many are queued (the
 * journal cannot be written).
 */
/* Shipping the journal to a remote ledger (coordinator_ship.c): tell the
 * shipper that entries were appended / stop and free it. No-ops when the
 * coordinator does not ship. */
void bpci__coord_ship_notify(bpci_coordinator *c);
void bpci__coord_ship_stop(bpci_coordinator *c);
/* A reload applied @config: a coordinator that follows the configuration
 * ships to its audit_integration.bpi_ledger_endpoint from now on
 * (restarting the shipper when it changed; none: no shipping). A
 * shipper that cannot start is a warning in @diag. */
void bpci__coord_ship_reloaded(bpci_coordinator *c, const bpci_config *config, bpci_diag *diag);
/* "ledger_shipping" (and the alarm) into health document @doc. */
void bpci__coord_ship_health(struct json_t *doc, bpci_coordinator *c);
/* The shipping metrics' Prometheus text ("" when not shipping);
 * bpci__free() it; NULL on ENOMEM. */
char *bpci__coord_ship_metrics(bpci_coordinator *c);

int bpci__coord_journal_event(bpci_coordinator *c, const char *type, const char *subject,
			      char *details);

#endif
