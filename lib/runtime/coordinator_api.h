/*
 * Internal: what other library modules (the HTTP API server in lib/) need
 * from a coordinator beyond the public header. Never installed.
 */
#ifndef BPCI_LIB_RUNTIME_COORDINATOR_API_H
#define BPCI_LIB_RUNTIME_COORDINATOR_API_H

#include "bpci/coordinator.h"
#include "runtime/coordinator_stats.h"

struct event_base;

/* The coordinator's event base, to attach more event sources (the HTTP
 * server) to the same loop. Borrowed: valid until bpci_coordinator_free();
 * whatever is attached must be removed before that. */
struct event_base *bpci__coordinator_base(bpci_coordinator *c);

/* Start latencies and restart requests so far (coordinator_stats.c).
 * Borrowed; changes as the loop runs. */
const bpci__coord_stats *bpci__coordinator_stats(const bpci_coordinator *c);

/*
 * GET /api/nodes: the JSON of bpci_node_status_list_to_json() for the nodes
 * of @type (0: all), written straight from the node table
 * (coordinator_list_json.c). *out (bpci__free) holds *len bytes and a NUL;
 * @size_hint is the expected length (the last answer's), to allocate once.
 * Returns 0, BPCI_ENOMEM, or BPCI_EINVAL when a string is not valid UTF-8
 * (then the caller goes through bpci_node_status_list_to_json()).
 */
int bpci__coordinator_list_json(char **out, size_t *len, bpci_coordinator *c,
				bpci_node_type type, size_t size_hint);

#endif
