/*
 * Internal: what the coordinator counts as it happens, for /metrics: every
 * start's latency (a histogram: a snapshot only shows each node's last
 * start) and the restarts asked for through restart_node.
 */
#ifndef BPCI_LIB_RUNTIME_COORDINATOR_STATS_H
#define BPCI_LIB_RUNTIME_COORDINATOR_STATS_H

#include <stddef.h>
#include <stdint.h>

/* Upper bounds in seconds (those of metric_names.h's startup histogram). */
#define BPCI__START_NBOUNDS 14
extern const double bpci__start_bounds[BPCI__START_NBOUNDS];

typedef struct bpci__coord_stats {
	/* starts that reached readiness, per bucket (not cumulative), and
	 * beyond the last bound */
	uint64_t start_in[BPCI__START_NBOUNDS + 1];
	uint64_t start_count;
	uint64_t start_sum_ms;
	uint64_t restart_requests; /* bpci_coordinator_restart_node() calls that acted */
} bpci__coord_stats;

/* A start became ready @latency_ms after its spawn. */
void bpci__coord_stats_start(bpci__coord_stats *s, uint64_t latency_ms);

#endif
