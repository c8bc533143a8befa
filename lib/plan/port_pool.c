/* The port pool: a bitmap over port ranges with a rotating cursor, and leases. */
#include "port_pool_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/diag.h"

#define EXPIRY_MAX ((uint64_t)INT64_MAX)   /* JSON integers are signed 64-bit */

static int cmp_range(const void *a, const void *b)
{
	const pp_range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static int parse_port(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	if (len == 0 || len > 5)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*out = v;
	return 0;
}

/* Parse "a-b,c" into sorted ranges. */
static int parse_list(pp_range **out, size_t *count, const char *text, const char *field,
		      bpci_diag *diag)
{
	pp_range *r = NULL;
	size_t n = 0, cap = 0, len, blen;
	const char *s = text, *end, *dash, *b;

	*out = NULL;
	*count = 0;
	while (s) {
		while (*s == ' ' || *s == '\t')
			s++;
		end = strchr(s, ',');
		len = end ? (size_t)(end - s) : strlen(s);
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == 0 && !end && n == 0 && text[0] == '\0')
			break;   /* "" is an empty list */
		if (bpci__grow((void **)&r, &cap, n + 1, sizeof(*r)) < 0) {
			bpci__free(r);
			return BPCI_ENOMEM;
		}
		dash = memchr(s, '-', len);
		b = dash ? dash + 1 : s;
		blen = dash ? len - (size_t)(b - s) : len;
		if (parse_port(s, dash ? (size_t)(dash - s) : len, &r[n].lo) < 0 ||
		    parse_port(b, blen, &r[n].hi) < 0 || r[n].lo > r[n].hi) {
			bpci__free(r);
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, field,
					      "\"%.*s\" is not a port or a range lo-hi of ports "
					      "1..65535", (int)len, s);
		}
		n++;
		s = end ? end + 1 : NULL;
	}
	if (n > 1)
		qsort(r, n, sizeof(*r), cmp_range);
	*out = r;
	*count = n;
	return 0;
}

static int setup_ranges(bpci_port_pool *pool, const char *text, bpci_diag *diag)
{
	size_t i;
	int rc = parse_list(&pool->ranges, &pool->nranges, text, "ranges", diag);

	if (rc < 0)
		return rc;
	if (pool->nranges == 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "ranges",
				      "must hold at least one port, got \"%s\"", text);
	for (i = 0; i < pool->nranges; i++) {
		if (i && pool->ranges[i].lo <= pool->ranges[i - 1].hi)
			return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "ranges",
					      "%u-%u overlaps %u-%u", pool->ranges[i].lo,
					      pool->ranges[i].hi, pool->ranges[i - 1].lo,
					      pool->ranges[i - 1].hi);
		pool->ranges[i].first = (uint32_t)pool->size;
		pool->size += pool->ranges[i].hi - pool->ranges[i].lo + 1;
	}
	return 0;
}

static int setup_reserved(bpci_port_pool *pool, const char *text, bpci_diag *diag)
{
	pp_range *r;
	size_t n, i;
	uint32_t port;
	long idx;
	int rc = parse_list(&r, &n, text, "reserved", diag);

	if (rc < 0)
		return rc;
	for (i = 0; i < n; i++)
		for (port = r[i].lo; port <= r[i].hi; port++) {
			idx = bpci__pp_index(pool, port);
			if (idx >= 0 && !PP_TEST(pool->reserved, (size_t)idx)) {
				PP_SET(pool->reserved, (size_t)idx);
				PP_SET(pool->used, (size_t)idx);
				pool->nreserved++;
			}
		}
	bpci__free(r);
	return 0;
}

int bpci_port_pool_new(bpci_port_pool **out, const bpci_port_pool_options *opts,
		       bpci_diag *diag)
{
	static const bpci_port_pool_options defaults = BPCI_PORT_POOL_OPTIONS_INIT;
	bpci_port_pool *pool;
	size_t i;
	int rc;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	if (opts->version != BPCI_PORT_POOL_OPTIONS_VERSION)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EUNSUPPORTED, "version",
				      "options version %u is not %u", opts->version,
				      BPCI_PORT_POOL_OPTIONS_VERSION);
	if (!(pool = bpci__calloc(1, sizeof(*pool))))
		return BPCI_ENOMEM;
	rc = setup_ranges(pool, opts->ranges ? opts->ranges : "20000-32000", diag);
	if (rc == 0) {
		pool->nwords = (pool->size + 63) / 64;
		pool->used = bpci__calloc(pool->nwords, sizeof(uint64_t));
		pool->reserved = bpci__calloc(pool->nwords, sizeof(uint64_t));
		pool->busy = bpci__calloc(pool->nwords, sizeof(uint64_t));
		pool->expiry = bpci__calloc(pool->size, sizeof(uint64_t));
		pool->heap = bpci__malloc(pool->size * sizeof(*pool->heap));
		if (!pool->used || !pool->reserved || !pool->busy || !pool->expiry || !pool->heap)
			rc = BPCI_ENOMEM;
	}
	if (rc == 0) {
		for (i = pool->size; i < pool->nwords * 64; i++)
			PP_SET(pool->used, i);   /* padding is never free */
		if (opts->reserved)
			rc = setup_reserved(pool, opts->reserved, diag);
	}
	if (rc < 0) {
		bpci_port_pool_free(pool);
		return rc;
	}
	*out = pool;
	return 0;
}

void bpci_port_pool_free(bpci_port_pool *pool)
{
	if (!pool)
		return;
	bpci__free(pool->ranges);
	bpci__free(pool->used);
	bpci__free(pool->reserved);
	bpci__free(pool->busy);
	bpci__free(pool->expiry);
	bpci__free(pool->heap);
	bpci__free(pool);
}

long bpci__pp_index(const bpci_port_pool *pool, uint32_t port)
{
	size_t lo = 0, hi = pool->nranges, mid;

	while (lo < hi) {   /* the last range with lo <= port */
		mid = lo + (hi - lo) / 2;
		if (pool->ranges[mid].lo <= port)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || port > pool->ranges[lo - 1].hi)
		return -1;
	return (long)(pool->ranges[lo - 1].first + (port - pool->ranges[lo - 1].lo));
}

uint16_t bpci__pp_port(const bpci_port_pool *pool, size_t idx)
{
	size_t lo = 0, hi = pool->nranges, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (pool->ranges[mid].first <= idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (uint16_t)(pool->ranges[lo - 1].lo + (idx - pool->ranges[lo - 1].first));
}

/* ---- expiry heap ---- */

static int timer_less(const pp_timer *a, const pp_timer *b)
{
	return a->t < b->t || (a->t == b->t && a->idx < b->idx);
}

static void sift_down(pp_timer *h, size_t n, size_t i)
{
	size_t c;
	pp_timer x = h[i];

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && timer_less(&h[c + 1], &h[c]))
			c++;
		if (!timer_less(&h[c], &x))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

static void sift_up(pp_timer *h, size_t i)
{
	pp_timer x = h[i];

	while (i && timer_less(&x, &h[(i - 1) / 2])) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = x;
}

static int timer_live(const bpci_port_pool *pool, const pp_timer *e)
{
	return PP_TEST(pool->used, e->idx) && !PP_TEST(pool->reserved, e->idx) &&
	       pool->expiry[e->idx] == e->t;
}

/* Rebuild the heap from the live timers (at most one per port). */
static void rebuild(bpci_port_pool *pool)
{
	size_t i, n = 0;

	for (i = 0; i < pool->size; i++)
		if (PP_TEST(pool->used, i) && !PP_TEST(pool->reserved, i) && pool->expiry[i]) {
			pool->heap[n].t = pool->expiry[i];
			pool->heap[n++].idx = (uint32_t)i;
		}
	pool->hn = n;
	for (i = n / 2; i-- > 0;)
		sift_down(pool->heap, n, i);
}

/* Arm a timer for index @idx (its expiry is already set). Never fails:
 * when stale entries fill the heap it is rebuilt, and live timers number
 * at most one per port. */
static void arm(bpci_port_pool *pool, size_t idx)
{
	if (!pool->expiry[idx])
		return;
	if (pool->hn == pool->size) {
		rebuild(pool);   /* it includes @idx */
		return;
	}
	pool->heap[pool->hn].t = pool->expiry[idx];
	pool->heap[pool->hn].idx = (uint32_t)idx;
	sift_up(pool->heap, pool->hn++);
}

/* ---- allocation ---- */

static void take(bpci_port_pool *pool, size_t idx, uint64_t expires)
{
	PP_SET(pool->used, idx);
	pool->expiry[idx] = expires;
	pool->leased++;
	arm(pool, idx);
}

int bpci_port_pool_allocate(uint16_t *out, bpci_port_pool *pool, uint64_t expires)
{
	size_t w, k, idx;
	uint64_t bits;

	if (expires > EXPIRY_MAX)
		return BPCI_EINVAL;
	if (pool->leased + pool->nbusy + pool->nreserved >= pool->size)
		return BPCI_ELIMIT;
	/* From the cursor's word (its lower bits masked off), one word at a
	 * time, wrapping; the extra step revisits the first word's low bits. */
	w = pool->cursor >> 6;
	bits = ~pool->used[w] & (~0ull << (pool->cursor & 63));
	for (k = 0; !bits && k < pool->nwords; k++) {
		w = w + 1 == pool->nwords ? 0 : w + 1;
		bits = ~pool->used[w];
	}
	if (!bits)
		return BPCI_ELIMIT;   /* cannot happen: the counts said a port is free */
	idx = (w << 6) + (size_t)__builtin_ctzll(bits);
	take(pool, idx, expires);
	pool->cursor = idx + 1 >= pool->size ? 0 : idx + 1;
	*out = bpci__pp_port(pool, idx);
	return 0;
}

int bpci_port_pool_allocate_port(bpci_port_pool *pool, uint16_t port, uint64_t expires,
				 bpci_diag *diag)
{
	long idx = bpci__pp_index(pool, port);

	if (expires > EXPIRY_MAX)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "expires",
				      "must be at most %lld, got %llu", (long long)INT64_MAX,
				      (unsigned long long)expires);
	if (idx < 0)
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "port",
				      "%u is outside the pool's ranges", (unsigned)port);
	if (PP_TEST(pool->reserved, (size_t)idx))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EINVAL, "port",
				      "%u is reserved", (unsigned)port);
	if (PP_TEST(pool->used, (size_t)idx))
		return bpci__diag_add(diag, BPCI_SEVERITY_ERROR, BPCI_EBUSY, "port",
				      "%u is already %s", (unsigned)port,
				      PP_TEST(pool->busy, (size_t)idx) ? "held busy" : "allocated");
	take(pool, (size_t)idx, expires);
	return 0;
}

/* Index of @port when it is leased (busy ones too when @busy_ok), else -1. */
static long held(const bpci_port_pool *pool, uint16_t port, int busy_ok)
{
	long idx = bpci__pp_index(pool, port);

	if (idx < 0 || !PP_TEST(pool->used, (size_t)idx) ||
	    PP_TEST(pool->reserved, (size_t)idx) ||
	    (!busy_ok && PP_TEST(pool->busy, (size_t)idx)))
		return -1;
	return idx;
}

static void free_index(bpci_port_pool *pool, size_t idx)
{
	if (PP_TEST(pool->busy, idx)) {
		PP_CLR(pool->busy, idx);
		pool->nbusy--;
	} else {
		pool->leased--;
	}
	PP_CLR(pool->used, idx);
	pool->expiry[idx] = 0;
}

int bpci_port_pool_release(bpci_port_pool *pool, uint16_t port)
{
	long idx = held(pool, port, 1);

	if (idx < 0)
		return BPCI_ENOTFOUND;
	free_index(pool, (size_t)idx);
	return 0;
}

int bpci_port_pool_mark_busy(bpci_port_pool *pool, uint16_t port, uint64_t until)
{
	long idx = held(pool, port, 0);

	if (idx < 0)
		return BPCI_ENOTFOUND;
	if (until > EXPIRY_MAX)
		return BPCI_EINVAL;
	PP_SET(pool->busy, (size_t)idx);
	pool->leased--;
	pool->nbusy++;
	pool->expiry[idx] = until;
	arm(pool, (size_t)idx);
	return 0;
}

int bpci_port_pool_renew(bpci_port_pool *pool, uint16_t port, uint64_t expires)
{
	long idx = held(pool, port, 0);

	if (idx < 0)
		return BPCI_ENOTFOUND;
	if (expires > EXPIRY_MAX)
		return BPCI_EINVAL;
	pool->expiry[idx] = expires;
	arm(pool, (size_t)idx);
	return 0;
}

int bpci_port_pool_is_allocated(const bpci_port_pool *pool, uint16_t port)
{
	long idx = held(pool, port, 1);

	if (idx < 0)
		return 0;
	return PP_TEST(pool->busy, (size_t)idx) ? 2 : 1;
}

int bpci_port_pool_expiry(const bpci_port_pool *pool, uint16_t port, uint64_t *out)
{
	long idx = held(pool, port, 0);

	if (idx < 0)
		return BPCI_ENOTFOUND;
	*out = pool->expiry[idx];
	return 0;
}

size_t bpci_port_pool_count(const bpci_port_pool *pool)
{
	return pool->leased;
}

size_t bpci_port_pool_capacity(const bpci_port_pool *pool)
{
	return pool->size - pool->nreserved;
}

double bpci_port_pool_utilization(const bpci_port_pool *pool)
{
	size_t cap = bpci_port_pool_capacity(pool);

	return cap ? (double)(pool->leased + pool->nbusy) / (double)cap : 0.0;
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

int bpci_port_pool_expire(uint16_t **ports, size_t *count, bpci_port_pool *pool, uint64_t now)
{
	uint16_t *out = NULL;
	size_t n = 0;
	pp_timer top;

	*ports = NULL;
	*count = 0;
	/* Room for every lease up front, so that nothing is released on ENOMEM. */
	if (pool->leased && !(out = bpci__malloc(pool->leased * sizeof(*out))))
		return BPCI_ENOMEM;
	while (pool->hn && pool->heap[0].t <= now) {
		top = pool->heap[0];
		pool->heap[0] = pool->heap[--pool->hn];
		sift_down(pool->heap, pool->hn, 0);
		if (!timer_live(pool, &top))
			continue;
		if (!PP_TEST(pool->busy, top.idx))
			out[n++] = bpci__pp_port(pool, top.idx);
		free_index(pool, top.idx);
	}
	if (n == 0) {
		bpci__free(out);
		return 0;
	}
	qsort(out, n, sizeof(*out), cmp_u16);
	*ports = out;
	*count = n;
	return 0;
}
