/*
 * Internal: restart policy arithmetic — how long to wait before the next
 * restart, and when to give up. Pure: no clock, no I/O; the caller passes
 * the time (milliseconds on any monotonic clock) and a random source, so
 * the same inputs always give the same answers.
 *
 * Backoff: the delay before restart number k (k = 0 for the first restart
 * after a good run) is base_k = min(max_ms, initial_ms * factor^k), then
 * jitter takes off a uniform random share of up to jitter_pct percent:
 * delay in [base_k - base_k*jitter_pct/100, base_k]. Jitter only ever
 * shortens, so max_ms is a hard cap. A process that ran for at least
 * reset_after_ms before it exited counts as stable: k starts again at 0.
 *
 * Intensity (OTP's MaxR/MaxT): restarts are recorded with their time; when
 * more than max_restarts happened within the last period_ms, give up.
 * max_restarts == 0 allows no restart at all.
 *
 * Thread-safety: the functions touch only their arguments.
 */
#ifndef BPCI_LIB_RUNTIME_BACKOFF_H
#define BPCI_LIB_RUNTIME_BACKOFF_H

#include <stddef.h>
#include <stdint.h>

/* A source of uniformly distributed 64-bit values. */
typedef uint64_t (*bpci__rand_fn)(void *state);

/* SplitMix64 over a uint64_t *state: a small deterministic generator for
 * tests and for jitter (seed it from getrandom in production). */
uint64_t bpci__rand_splitmix64(void *state);

typedef struct bpci__backoff_policy {
	uint64_t initial_ms;     /* first delay */
	uint64_t max_ms;         /* cap (>= initial_ms) */
	unsigned int factor;     /* growth per restart, >= 1 (2 doubles) */
	unsigned int jitter_pct; /* 0..100 */
	uint64_t reset_after_ms; /* a run this long resets the sequence; 0: never */
} bpci__backoff_policy;

typedef struct bpci__backoff {
	unsigned int attempt;    /* restarts since the last stable run */
	uint64_t started_ms;     /* when the current run began */
} bpci__backoff;

/* Fresh state: the next delay is the initial one. */
void bpci__backoff_init(bpci__backoff *b);

/* Record that the process (re)started at @now_ms. */
void bpci__backoff_started(bpci__backoff *b, uint64_t now_ms);

/*
 * The process exited at @now_ms: the delay before restarting it. Resets the
 * sequence first when the run lasted reset_after_ms or more, then advances
 * it. @rnd may be NULL when jitter_pct is 0.
 */
uint64_t bpci__backoff_next(bpci__backoff *b, const bpci__backoff_policy *p,
			    uint64_t now_ms, bpci__rand_fn rnd, void *rnd_state);

/* The delay for restart number @attempt with random value @r (pure). */
uint64_t bpci__backoff_delay(const bpci__backoff_policy *p, unsigned int attempt, uint64_t r);

/*
 * Restart intensity: a ring of the last max_restarts + 1 restart times.
 * The ring grows with the restarts it records, up to max_restarts + 1
 * entries: a node that never restarts costs nothing, even with a large
 * max_restarts (8 KB a node at 1,000, which 1,000 nodes paid up front).
 */
typedef struct bpci__intensity {
	unsigned int max_restarts;
	uint64_t period_ms;
	uint64_t *times;        /* ring of @alloc entries (NULL until a restart) */
	size_t alloc;           /* <= max_restarts + 1 */
	size_t count, head;
} bpci__intensity;

/* Returns 0 or BPCI_ENOMEM (BPCI_EINVAL for period_ms == 0). */
int bpci__intensity_init(bpci__intensity *w, unsigned int max_restarts, uint64_t period_ms);
void bpci__intensity_release(bpci__intensity *w);

/*
 * Record a restart at @now_ms (times must not go backwards). Returns 1 when
 * this restart makes more than max_restarts within period_ms (give up),
 * else 0. A restart exactly period_ms ago no longer counts. When the ring
 * cannot grow (out of memory) the oldest time is overwritten: the count can
 * only come out lower, never give up early.
 */
int bpci__intensity_record(bpci__intensity *w, uint64_t now_ms);

/* Restarts within the period ending at @now_ms. */
size_t bpci__intensity_count(const bpci__intensity *w, uint64_t now_ms);

#endif
