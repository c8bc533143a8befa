/* Internal: the port pool's representation (port_pool.c, port_pool_json.c). */
#ifndef BPCI_LIB_PLAN_PORT_POOL_INTERNAL_H
#define BPCI_LIB_PLAN_PORT_POOL_INTERNAL_H

#include "bpci/placement.h"

typedef struct pp_range {
	uint32_t lo, hi;      /* inclusive */
	uint32_t first;       /* index of lo in the bitmap */
} pp_range;

typedef struct pp_timer {
	uint64_t t;
	uint32_t idx;
} pp_timer;

struct bpci_port_pool {
	pp_range *ranges;
	size_t nranges;
	size_t size;          /* ports in all ranges */
	size_t nwords;
	uint64_t *used;       /* 1 = not free: leased, busy, reserved, or padding */
	uint64_t *reserved;
	uint64_t *busy;
	uint64_t *expiry;     /* per index: lease expiry or end of the busy hold */
	size_t cursor;        /* index where the next scan starts */
	size_t leased, nbusy, nreserved;
	pp_timer *heap;       /* min-heap of expiries; stale entries are skipped */
	size_t hn;            /* capacity is size: rebuilt before it overflows */
};

/* Index of @port, or -1 when it is in no range. */
long bpci__pp_index(const bpci_port_pool *pool, uint32_t port);
uint16_t bpci__pp_port(const bpci_port_pool *pool, size_t idx);
/* Canonical "a-b,c" text of the ranges, or of the reserved ports. NULL on ENOMEM. */
char *bpci__pp_ranges_text(const bpci_port_pool *pool);
char *bpci__pp_reserved_text(const bpci_port_pool *pool);

#define PP_TEST(bm, i) (((bm)[(i) >> 6] >> ((i) & 63)) & 1u)
#define PP_SET(bm, i) ((bm)[(i) >> 6] |= 1ull << ((i) & 63))
#define PP_CLR(bm, i) ((bm)[(i) >> 6] &= ~(1ull << ((i) & 63)))

#endif
