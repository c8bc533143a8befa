/* libbpci — cluster node types, capabilities and daemon specs (in progress). */
#ifndef BPCI_CLUSTER_H
#define BPCI_CLUSTER_H
#include "common.h"
#endif
