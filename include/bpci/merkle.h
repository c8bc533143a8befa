/* libbpci — RFC 6962 Merkle tree primitives (in progress). */
#ifndef BPCI_MERKLE_H
#define BPCI_MERKLE_H
#include "common.h"
#endif
