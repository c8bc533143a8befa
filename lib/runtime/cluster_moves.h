/*
 * Replica moves in steps (cluster_moves.c): make-before-break moves of a
 * plan carried out one small step per loop turn, so that the tree's sync
 * (failure detection and failover, cluster_sync.c) runs between them.
 */
#ifndef BPCI_LIB_RUNTIME_CLUSTER_MOVES_H
#define BPCI_LIB_RUNTIME_CLUSTER_MOVES_H

#include "runtime/cluster_internal.h"

typedef struct bpci__cm_moves bpci__cm_moves;

/* The move_node steps of @plan_json (a plan, as bpci_daemon_tree_plan_to_json
 * writes it) to carry out on @cm. Returns 0, BPCI_EPARSE, BPCI_ENOMEM. */
int bpci__cm_moves_new(bpci__cm_moves **out, bpci_cluster_manager *cm, const char *plan_json,
		       bpci_diag *diag);
/* One step without waiting: start the next move's new instance, or look
 * whether the one under way runs (then journal replica.moved, stop the
 * old instance, record the move). A move whose target is down (failed,
 * unreachable, stopped) or whose replica left its source meanwhile (it
 * failed over) is skipped with the reason. Returns 1 while moves remain,
 * 0 when all are done or skipped, or the error that ends the moves (a new
 * instance that failed or was not ready within 15 s; a journal write). */
int bpci__cm_moves_step(bpci__cm_moves *m, bpci_diag *diag);
/* Moves carried out so far. */
size_t bpci__cm_moves_done(const bpci__cm_moves *m);
/* 0 when no move was skipped, else the last skip as an error in @diag
 * (its code: BPCI_ENOTFOUND, BPCI_EBUSY or BPCI_EUNREACHABLE). */
int bpci__cm_moves_skip_error(const bpci__cm_moves *m, bpci_diag *diag);
/* All the moves of @plan, blocking (the root's loop runs while a new
 * instance starts), stopping at the first error or skipped move: for
 * callers that need every move (a library rebalance, a daemon's
 * removal). Returns 0 or that error. */
int bpci__cm_moves_run(bpci_cluster_manager *cm, const bpci_daemon_tree_plan *plan,
		       bpci_diag *diag);
/* The skipped moves as a JSON array text [{"node","from","to","reason"}]
 * (free with bpci__free), or NULL when out of memory. */
char *bpci__cm_moves_skipped_json(const bpci__cm_moves *m);
/* Free; a move under way is abandoned (its new instance stopped). */
void bpci__cm_moves_free(bpci__cm_moves *m);

#endif
