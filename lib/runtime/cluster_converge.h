/*
 * Bringing the processes back in line with the model after a clean stop
 * (cluster_converge.c): a manager's SIGTERM stops its local subtree, and
 * each local daemon then forgets its own child daemons and nodes, so the
 * next manager finds deeper local daemons and the replicas they hosted
 * gone while the model still has them.
 */
#ifndef BPCI_LIB_RUNTIME_CLUSTER_CONVERGE_H
#define BPCI_LIB_RUNTIME_CLUSTER_CONVERGE_H

#include "runtime/cluster_internal.h"

typedef struct bpci__cm_converge bpci__cm_converge;

/* A converger, or NULL when out of memory. */
bpci__cm_converge *bpci__cm_converge_new(void);
/* At most every 2 s, once per hosting daemon process (its pid): spawn
 * again, through its parent, a LOCAL daemon of the model whose parent
 * runs and has heartbeated without relaying it; start again a replica
 * that a running daemon does not know. Each action is logged on stderr.
 * Runs the root's loop and calls daemons' APIs: call it between loop
 * iterations, and not while a mutation is under way. */
void bpci__cm_converge_step(bpci__cm_converge *cv, bpci_cluster_manager *cm);
void bpci__cm_converge_free(bpci__cm_converge *cv);

#endif
