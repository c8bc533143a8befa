/*
 * Internal: the daemon tree's routes on a coordinator's API
 * (bpci/daemon.h): api_daemons.c (local child daemons) and api_tree.c
 * (join, heartbeat, escalate, status).
 */
#ifndef BPCI_LIB_API_API_TREE_H
#define BPCI_LIB_API_API_TREE_H

#include "api/api_internal.h"
#include "bpci/daemon.h"

/* POST/GET /api/daemons, DELETE /api/daemons/{id}. */
int bpci__api_routes_daemons(bpci_server *srv);
/* POST /api/daemon-tree/join|heartbeat|escalate, GET /api/daemon-tree/status. */
int bpci__api_routes_tree(bpci_server *srv);

#endif
