/*
 * Internal: the journal's names, and opening a coordinator whose journal
 * is not DIR/ledger (the cluster manager keeps its own ledger there and
 * shares the directory).
 */
#ifndef BPCI_LIB_RUNTIME_COORDINATOR_JOURNAL_H
#define BPCI_LIB_RUNTIME_COORDINATOR_JOURNAL_H

#include "bpci/coordinator.h"

/* The actor of the coordinator's entries and the name of its snapshot. */
#define BPCI__COORD_JOURNAL_ACTOR "coordinator"
#define BPCI__COORD_JOURNAL_SNAPSHOT "coordinator"

/* The coordinator's journal directory name, inside its state directory. */
#define BPCI__COORD_JOURNAL_DEFAULT "ledger"

/* bpci_coordinator_new() with the journal in STATE_DIR/@journal_name. */
int bpci__coordinator_new_journal(bpci_coordinator **out, const bpci_coordinator_options *opts,
				  const char *journal_name, bpci_diag *diag);

#endif
