/* Counting starts and restart requests as they happen (coordinator_stats.h). */
#include "runtime/coordinator_internal.h"

#include "runtime/coordinator_stats.h"
#include "runtime/metric_names.h"

const double bpci__start_bounds[BPCI__START_NBOUNDS] = BPCI__METRIC_STARTUP_BUCKETS;

void bpci__coord_stats_start(bpci__coord_stats *s, uint64_t latency_ms)
{
	size_t i;

	/* le="0.005" holds 5 ms: compare in milliseconds, exactly */
	for (i = 0; i < BPCI__START_NBOUNDS; i++)
		if ((double)latency_ms <= bpci__start_bounds[i] * 1000.0 + 1e-9)
			break;
	s->start_in[i]++;
	s->start_count++;
	s->start_sum_ms += latency_ms;
}

const bpci__coord_stats *bpci__coordinator_stats(const bpci_coordinator *c)
{
	return &c->stats;
}
