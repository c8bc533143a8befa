/*
 * Internal: what other library modules (the HTTP API server in lib/) need
 * from a coordinator beyond the public header. Never installed.
 */
#ifndef BPCI_LIB_RUNTIME_COORDINATOR_API_H
#define BPCI_LIB_RUNTIME_COORDINATOR_API_H

#include "bpci/coordinator.h"

struct event_base;

/* The coordinator's event base, to attach more event sources (the HTTP
 * server) to the same loop. Borrowed: valid until bpci_coordinator_free();
 * whatever is attached must be removed before that. */
struct event_base *bpci__coordinator_base(bpci_coordinator *c);

#endif
