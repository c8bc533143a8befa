/*
 * libbpci — orchestration of BPI service nodes under a supervision tree of
 * daemons. This umbrella header includes every public module; include it
 * and link with `pkg-config --cflags --libs bpci`.
 */
#ifndef BPCI_H
#define BPCI_H

#include "bpci/common.h"
#include "bpci/error.h"
#include "bpci/resources.h"
#include "bpci/node.h"
#include "bpci/cluster.h"
#include "bpci/config.h"
#include "bpci/merkle.h"
#include "bpci/ledger.h"
#include "bpci/coordinator.h"
#include "bpci/server.h"
#include "bpci/client.h"
#include "bpci/ledger_server.h"
#include "bpci/service.h"
#include "bpci/placement.h"
#include "bpci/daemon_tree.h"
#include "bpci/cluster_manager.h"
#include "bpci/daemon.h"

#endif
