#include "runtime/backoff.h"

#include <string.h>

#include "bpci/error.h"
#include "common/alloc.h"

uint64_t bpci__rand_splitmix64(void *state)
{
	uint64_t *s = state;
	uint64_t z = (*s += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

void bpci__backoff_init(bpci__backoff *b)
{
	memset(b, 0, sizeof(*b));
}

void bpci__backoff_started(bpci__backoff *b, uint64_t now_ms)
{
	b->started_ms = now_ms;
}

uint64_t bpci__backoff_delay(const bpci__backoff_policy *p, unsigned int attempt, uint64_t r)
{
	uint64_t base = p->initial_ms < p->max_ms ? p->initial_ms : p->max_ms;
	uint64_t span;
	unsigned int i;

	/* Saturating growth: stop multiplying once the cap is reached. */
	for (i = 0; i < attempt && base < p->max_ms && p->factor > 1; i++)
		base = base > p->max_ms / p->factor ? p->max_ms : base * p->factor;
	if (base > p->max_ms)
		base = p->max_ms;
	if (p->jitter_pct == 0 || base == 0)
		return base;
	/* base * pct / 100 without overflow for any base. */
	span = base / 100 * (p->jitter_pct > 100 ? 100 : p->jitter_pct) +
	       base % 100 * (p->jitter_pct > 100 ? 100 : p->jitter_pct) / 100;
	return base - (span == UINT64_MAX ? r : r % (span + 1));
}

uint64_t bpci__backoff_next(bpci__backoff *b, const bpci__backoff_policy *p,
			    uint64_t now_ms, bpci__rand_fn rnd, void *rnd_state)
{
	uint64_t r = 0, d;

	if (p->reset_after_ms && now_ms >= b->started_ms &&
	    now_ms - b->started_ms >= p->reset_after_ms)
		b->attempt = 0;
	if (p->jitter_pct && rnd)
		r = rnd(rnd_state);
	d = bpci__backoff_delay(p, b->attempt, r);
	if (b->attempt < UINT32_MAX)
		b->attempt++;
	return d;
}

int bpci__intensity_init(bpci__intensity *w, unsigned int max_restarts, uint64_t period_ms)
{
	memset(w, 0, sizeof(*w));
	if (period_ms == 0)
		return BPCI_EINVAL;
	w->max_restarts = max_restarts;
	w->period_ms = period_ms;
	return 0;
}

void bpci__intensity_release(bpci__intensity *w)
{
	bpci__free(w->times);
	memset(w, 0, sizeof(*w));
}

size_t bpci__intensity_count(const bpci__intensity *w, uint64_t now_ms)
{
	size_t i, n = 0;

	for (i = 0; i < w->count; i++) {
		uint64_t t = w->times[(w->head + w->alloc - 1 - i) % w->alloc];

		if (now_ms >= t && now_ms - t >= w->period_ms)
			break; /* older ones are older still */
		n++;
	}
	return n;
}

/* A full ring below its final size doubles, oldest entry first. */
static void grow(bpci__intensity *w)
{
	size_t cap = (size_t)w->max_restarts + 1, want, i;
	uint64_t *t;

	if (w->count < w->alloc || w->alloc >= cap)
		return;
	want = w->alloc ? 2 * w->alloc : 4;
	if (want > cap)
		want = cap;
	t = bpci__malloc(want * sizeof(*t));
	if (!t)
		return;
	for (i = 0; i < w->count; i++)
		t[i] = w->times[(w->head + i) % w->alloc];
	bpci__free(w->times);
	w->times = t;
	w->alloc = want;
	w->head = w->count;
}

int bpci__intensity_record(bpci__intensity *w, uint64_t now_ms)
{
	grow(w);
	if (!w->alloc)
		return 0; /* nothing could be recorded */
	w->times[w->head] = now_ms;
	w->head = (w->head + 1) % w->alloc;
	if (w->count < w->alloc)
		w->count++;
	return bpci__intensity_count(w, now_ms) > w->max_restarts;
}
